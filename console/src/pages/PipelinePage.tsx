import { Button, FileInput, Group, Select, Stack, Stepper, Text, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";

import { unwrap, type Schemas } from "../api/client";
import { useApi } from "../api/context";
import { languagesOf, pairsOf, useModels, voicesOf } from "../api/models";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { ExchangePanel } from "../components/ExchangePanel";
import { NeedsKey } from "../components/NeedsKey";
import { base64ToBytes, fileToBase64 } from "../lib/audio";

interface PipelineResult {
  transcript: string;
  translation: string;
  audio: Uint8Array | null;
}

/** ASR → translation → TTS in one call: speech in one language, speech out in another. */
export function PipelinePage() {
  const { client } = useApi();
  const models = useModels();
  const asrLanguages = languagesOf(models.data, "asr");
  const pairs = pairsOf(models.data, "translation");
  const voices = voicesOf(models.data, "tts");
  const [file, setFile] = useState<File | null>(null);
  const [source, setSource] = useState<string | null>("en");
  const targets = pairs.filter((p) => p.startsWith(`${source}-`)).map((p) => p.split("-")[1] ?? "");
  const [target, setTarget] = useState<string | null>("es");
  const [voice, setVoice] = useState<string | null>("female");

  const run = useMutation({
    mutationFn: async (): Promise<PipelineResult> => {
      if (!file) throw new Error("Choose a recording first.");
      const body: Schemas["PipelineRequest"] = {
        pipelineTasks: [
          { taskType: "asr", config: { language: { sourceLanguage: source ?? "en" } } },
          {
            taskType: "translation",
            config: { language: { sourceLanguage: source ?? "en", targetLanguage: target ?? "es" } },
          },
          {
            taskType: "tts",
            config: { language: { sourceLanguage: target ?? "es" }, gender: (voice ?? "female") as Schemas["Gender"] },
          },
        ],
        inputData: { audio: [{ audioContent: await fileToBase64(file) }] },
      };
      const responses = unwrap(await client.POST("/v1/pipeline", { body })).pipelineResponse;
      const result: PipelineResult = { transcript: "", translation: "", audio: null };
      for (const response of responses) {
        if (response.taskType === "asr" && "output" in response) {
          result.transcript = (response.output as Schemas["AsrOutput"][]).map((o) => o.source).join(" ");
        } else if (response.taskType === "translation" && "output" in response) {
          result.translation = (response.output as Schemas["TranslationOutput"][]).map((o) => o.target).join(" ");
        } else if (response.taskType === "tts" && "audio" in response) {
          const content = (response.audio as Schemas["AudioOutput"][])[0]?.audioContent;
          result.audio = content ? base64ToBytes(content) : null;
        }
      }
      return result;
    },
  });

  const result = run.data;
  const step = !result ? 0 : result.audio ? 3 : result.translation ? 2 : 1;
  return (
    <NeedsKey>
      <Stack>
        <Title order={2}>Pipeline: speech → text → translation → speech</Title>
        <FileInput label="Recording" placeholder="Choose a recording" accept="audio/*" value={file} onChange={setFile} clearable />
        <Group>
          <Select label="Spoken language" data={asrLanguages.length ? asrLanguages : ["en"]} value={source} onChange={setSource} allowDeselect={false} />
          <Select label="Translate to" data={targets.length ? targets : ["es"]} value={target} onChange={setTarget} allowDeselect={false} />
          <Select label="Voice" data={voices.length ? voices : ["female", "male"]} value={voice} onChange={setVoice} allowDeselect={false} />
        </Group>
        <Group>
          <Button onClick={() => run.mutate()} loading={run.isPending} disabled={!file}>
            Run pipeline
          </Button>
        </Group>
        {run.error ? <ApiErrorAlert error={run.error} /> : null}
        <Stepper active={step} orientation="vertical" size="sm" allowNextStepsSelect={false}>
          <Stepper.Step label="Speech recognition" description={result?.transcript ?? "ASR"}>
            {null}
          </Stepper.Step>
          <Stepper.Step label="Translation" description={result?.translation ?? "NMT"}>
            {null}
          </Stepper.Step>
          <Stepper.Step label="Speech synthesis" description={result?.audio ? "done" : "TTS"}>
            {null}
          </Stepper.Step>
        </Stepper>
        {result ? (
          <Stack gap="xs" data-testid="pipeline-result">
            <Text>
              Transcript: <span data-testid="pipeline-transcript">{result.transcript}</span>
            </Text>
            <Text>
              Translation: <span data-testid="pipeline-translation">{result.translation}</span>
            </Text>
            {result.audio ? (
              <audio
                controls
                src={URL.createObjectURL(new Blob([result.audio.slice().buffer], { type: "audio/wav" }))}
                aria-label="Translated speech"
                data-testid="pipeline-audio"
              />
            ) : null}
          </Stack>
        ) : null}
        <ExchangePanel prefixes={["/v1/pipeline"]} />
      </Stack>
    </NeedsKey>
  );
}
