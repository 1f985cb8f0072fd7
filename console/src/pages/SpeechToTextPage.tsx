import { Button, Checkbox, FileInput, Group, Select, Stack, Table, Text, Textarea, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useRef, useState } from "react";

import { unwrap, type Schemas } from "../api/client";
import { useApi } from "../api/context";
import { languagesOf, useModels } from "../api/models";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { DownloadButton } from "../components/Downloads";
import { ExchangePanel } from "../components/ExchangePanel";
import { NeedsKey } from "../components/NeedsKey";
import { Waveform } from "../components/Waveform";
import { fileToBase64, floatToPcm16, wavFromPcm16 } from "../lib/audio";
import { CAPTURE_RATE, concatSamples, startMicrophone, type MicrophoneCapture } from "../lib/microphone";
import { formatSeconds, toSrt, toVtt } from "../lib/subtitles";

type Format = Schemas["TranscriptionFormatValue"];

/** Speech to text: upload a file or record from the microphone; transcript with segments; SRT/VTT. */
export function SpeechToTextPage() {
  const { client } = useApi();
  const models = useModels();
  const languages = languagesOf(models.data, "asr");
  const [language, setLanguage] = useState<string | null>("en");
  const [file, setFile] = useState<File | null>(null);
  const [recorded, setRecorded] = useState<Blob | null>(null);
  const [vad, setVad] = useState(false);
  const [format, setFormat] = useState<Format>("transcript");
  const [recording, setRecording] = useState(false);
  const [micError, setMicError] = useState<unknown>(null);
  const capture = useRef<MicrophoneCapture | null>(null);
  const blocks = useRef<Float32Array[]>([]);
  const audio = recorded ?? file;

  const transcribe = useMutation({
    mutationFn: async () => {
      if (!audio) throw new Error("Choose a file or record first.");
      const body: Schemas["AsrRequest"] = {
        audio: [{ audioContent: await fileToBase64(audio) }],
        config: {
          language: { sourceLanguage: language ?? "en" },
          transcriptionFormat: { value: format },
          preProcessors: vad ? ["vad"] : [],
        },
      };
      return unwrap(await client.POST("/v1/asr", { body }));
    },
  });

  const startRecording = async () => {
    setMicError(null);
    blocks.current = [];
    try {
      capture.current = await startMicrophone((samples) => blocks.current.push(samples));
      setRecording(true);
    } catch (error) {
      setMicError(error);
    }
  };
  const stopRecording = async () => {
    await capture.current?.stop();
    capture.current = null;
    setRecording(false);
    const wav = wavFromPcm16(floatToPcm16(concatSamples(blocks.current)), CAPTURE_RATE);
    setRecorded(new Blob([wav.slice().buffer], { type: "audio/wav" }));
    setFile(null);
  };

  const output = transcribe.data?.output[0];
  const segments = output?.segments ?? [];
  const recordedSeconds = recorded ? (recorded.size - 44) / (CAPTURE_RATE * 2) : 0;

  return (
    <NeedsKey>
      <Stack>
        <Title order={2}>Speech to text</Title>
        <Group align="end">
          <FileInput
            label="Audio file"
            description="WAV, FLAC, OGG or MP3, up to 60 s"
            placeholder="Choose a recording"
            accept="audio/*"
            value={file}
            onChange={(f) => {
              setFile(f);
              setRecorded(null);
            }}
            style={{ flex: 1 }}
            clearable
          />
          {recording ? (
            <Button color="red" onClick={() => void stopRecording()}>
              Stop recording
            </Button>
          ) : (
            <Button variant="light" onClick={() => void startRecording()}>
              Record from microphone
            </Button>
          )}
        </Group>
        {recorded ? (
          <Text size="sm" data-testid="recorded">
            Recorded {formatSeconds(recordedSeconds)} from the microphone.
          </Text>
        ) : null}
        {micError ? <ApiErrorAlert error={micError} /> : null}
        <Waveform audio={audio} label="Waveform of the chosen audio" />
        <Group>
          <Select
            label="Language"
            data={languages.length ? languages : ["en"]}
            value={language}
            onChange={setLanguage}
            allowDeselect={false}
          />
          <Select
            label="Format"
            data={[
              { value: "transcript", label: "Transcript" },
              { value: "srt", label: "SRT" },
              { value: "webvtt", label: "WebVTT" },
            ]}
            value={format}
            onChange={(v) => setFormat((v as Format) ?? "transcript")}
            allowDeselect={false}
          />
          <Checkbox
            label="Split at silences (VAD)"
            checked={vad}
            onChange={(e) => setVad(e.currentTarget.checked)}
            mt="lg"
          />
        </Group>
        <Group>
          <Button onClick={() => transcribe.mutate()} loading={transcribe.isPending} disabled={!audio || recording}>
            Transcribe
          </Button>
        </Group>
        {transcribe.error ? <ApiErrorAlert error={transcribe.error} /> : null}
        {output ? (
          <Stack gap="xs">
            <Textarea
              label="Transcript"
              value={output.source}
              readOnly
              autosize
              minRows={2}
              data-testid="transcript"
            />
            {segments.length ? (
              <>
                <Table aria-label="Segments" withTableBorder>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Start</Table.Th>
                      <Table.Th>End</Table.Th>
                      <Table.Th>Text</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {segments.map((s, i) => (
                      <Table.Tr key={i} data-testid="segment">
                        <Table.Td>{formatSeconds(s.start)}</Table.Td>
                        <Table.Td>{formatSeconds(s.end)}</Table.Td>
                        <Table.Td>{s.text}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
                <Group>
                  <DownloadButton content={toSrt(segments)} type="application/x-subrip" fileName="transcript.srt" label="Download SRT" />
                  <DownloadButton content={toVtt(segments)} type="text/vtt" fileName="transcript.vtt" label="Download VTT" />
                </Group>
              </>
            ) : null}
          </Stack>
        ) : null}
        <ExchangePanel prefixes={["/v1/asr"]} />
      </Stack>
    </NeedsKey>
  );
}
