import { Button, Group, Select, Stack, Text, Textarea, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { unwrap, type Schemas } from "../api/client";
import { useApi } from "../api/context";
import { languagesOf, useModels, voicesOf } from "../api/models";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { DownloadButton } from "../components/Downloads";
import { ExchangePanel } from "../components/ExchangePanel";
import { NeedsKey } from "../components/NeedsKey";
import { StreamingTts } from "../components/StreamingTts";
import { base64ToBytes, wavDurationSeconds } from "../lib/audio";
import { formatSeconds } from "../lib/subtitles";

/** Text to speech: language and voice from GET /v1/models; play and download the WAV. */
export function TextToSpeechPage() {
  const { client } = useApi();
  const models = useModels();
  const languages = languagesOf(models.data, "tts");
  const voices = voicesOf(models.data, "tts");
  const [language, setLanguage] = useState<string | null>("en");
  const [voice, setVoice] = useState<string | null>("female");
  const [text, setText] = useState("Hello from the speech platform.");

  const synthesize = useMutation({
    mutationFn: async () => {
      const body: Schemas["TtsRequest"] = {
        input: [{ source: text }],
        config: {
          language: { sourceLanguage: language ?? "en" },
          gender: (voice ?? "female") as Schemas["Gender"],
          audioFormat: "wav",
        },
      };
      const data = unwrap(await client.POST("/v1/tts", { body }));
      const content = data.audio[0]?.audioContent;
      if (!content) throw new Error("the answer carried no audio");
      return base64ToBytes(content);
    },
  });

  const wav = synthesize.data;
  const src = wav ? URL.createObjectURL(new Blob([wav.slice().buffer], { type: "audio/wav" })) : undefined;
  const seconds = wav ? wavDurationSeconds(wav) : null;

  return (
    <NeedsKey>
      <Stack>
        <Title order={2}>Text to speech</Title>
        <Group>
          <Select label="Language" data={languages.length ? languages : ["en"]} value={language} onChange={setLanguage} allowDeselect={false} searchable />
          <Select
            label="Voice"
            description="The voices (genders) the model serves"
            data={voices.length ? voices : ["female", "male"]}
            value={voice}
            onChange={setVoice}
            allowDeselect={false}
          />
        </Group>
        <Textarea label="Text" value={text} onChange={(e) => setText(e.currentTarget.value)} autosize minRows={3} maxLength={2000} />
        <Group>
          <Button onClick={() => synthesize.mutate()} loading={synthesize.isPending} disabled={!text.trim()}>
            Synthesize
          </Button>
        </Group>
        {synthesize.error ? <ApiErrorAlert error={synthesize.error} /> : null}
        {wav && src ? (
          <Stack gap="xs">
            <audio controls src={src} aria-label="Synthesized speech" data-testid="tts-audio" />
            <Group>
              <Text size="sm">{seconds !== null ? formatSeconds(seconds) : null} of audio</Text>
              <DownloadButton content={wav.slice().buffer} type="audio/wav" fileName="speech.wav" label="Download WAV" />
            </Group>
          </Stack>
        ) : null}
        <StreamingTts text={text} language={language ?? "en"} gender={voice ?? "female"} />
        <ExchangePanel prefixes={["/v1/tts"]} />
      </Stack>
    </NeedsKey>
  );
}
