import { Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useEffect, useRef, useState } from "react";

import { useApi } from "../api/context";
import { useApiKey } from "../lib/apiKey";
import { base64ToBytes, wavFromPcm16 } from "../lib/audio";
import { elideAudio } from "../lib/elide";
import { openStreamSocket } from "../lib/streamSocket";
import { ApiErrorAlert } from "./ApiErrorAlert";
import { JsonBlock } from "./JsonBlock";

const RATE = 16_000;

interface StreamStats {
  firstAudioMs: number | null;
  chunks: number;
  end: { audioSeconds: number; billedSeconds: number; characters: number } | null;
}

/** Streaming TTS over the WebSocket API: the text goes in one `text` message, audio comes back in chunks that
 * play as they arrive (Web Audio, scheduled back to back); the joined audio is then playable and downloadable. */
export function StreamingTts({ text, language, gender }: { text: string; language: string; gender: string }) {
  const { config } = useApi();
  const key = useApiKey();
  const [running, setRunning] = useState(false);
  const [stats, setStats] = useState<StreamStats>({ firstAudioMs: null, chunks: 0, end: null });
  const [wavUrl, setWavUrl] = useState<string | null>(null);
  const [lastReceived, setLastReceived] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const socket = useRef<WebSocket | null>(null);
  const player = useRef<AudioContext | null>(null);

  useEffect(
    () => () => {
      socket.current?.close();
      void player.current?.close();
    },
    [],
  );

  const start = () => {
    if (!config.websocketUrl || !key) return;
    setError(null);
    setWavUrl(null);
    setStats({ firstAudioMs: null, chunks: 0, end: null });
    setRunning(true);
    const pcm: Int16Array[] = [];
    const sentAt = performance.now();
    let nextTime = 0;
    let ws: WebSocket;
    try {
      ws = openStreamSocket(config.websocketUrl, key); // the key goes in the subprotocol offer, never the URL
    } catch (err) {
      setError(err);
      setRunning(false);
      return;
    }
    socket.current = ws;
    const context = new AudioContext({ sampleRate: RATE });
    player.current = context;
    const send = (message: Record<string, unknown>) => ws.send(JSON.stringify(message));
    ws.onopen = () => send({ action: "start", task: "tts", language, gender, sampleRate: RATE, encoding: "pcm_s16le" });
    ws.onmessage = (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as Record<string, unknown> & { type: string };
      setLastReceived(elideAudio(message));
      if (message.type === "ready") {
        send({ action: "text", seq: 0, text, flush: true });
        // lastSeq: the server ends the stream only after text 0, even when API Gateway runs stop first
        send({ action: "stop", lastSeq: 0 });
      } else if (message.type === "audio") {
        const bytes = base64ToBytes(String(message.audio));
        const samples = new Int16Array(bytes.slice().buffer);
        pcm.push(samples);
        setStats((s) => ({ ...s, chunks: s.chunks + 1, firstAudioMs: s.firstAudioMs ?? performance.now() - sentAt }));
        // play as it arrives: each chunk starts where the previous one ends
        const buffer = context.createBuffer(1, samples.length, RATE);
        buffer.getChannelData(0).set(Float32Array.from(samples, (v) => v / 0x8000));
        const source = context.createBufferSource();
        source.buffer = buffer;
        source.connect(context.destination);
        nextTime = Math.max(nextTime, context.currentTime);
        source.start(nextTime);
        nextTime += buffer.duration;
      } else if (message.type === "end") {
        const joined = new Int16Array(pcm.reduce((n, c) => n + c.length, 0));
        let offset = 0;
        for (const chunk of pcm) {
          joined.set(chunk, offset);
          offset += chunk.length;
        }
        setWavUrl(URL.createObjectURL(new Blob([wavFromPcm16(joined, RATE).slice().buffer], { type: "audio/wav" })));
        setStats((s) => ({
          ...s,
          end: {
            audioSeconds: Number(message.audioSeconds),
            billedSeconds: Number(message.billedSeconds),
            characters: Number(message.characters),
          },
        }));
        setRunning(false);
        ws.close();
      } else if (message.type === "error") {
        setError({ name: "StreamError", message: `${String(message.code)}: ${String(message.message)}` });
      }
    };
    ws.onerror = () => setError(new Error("The WebSocket API refused or dropped the connection."));
    ws.onclose = () => setRunning(false);
  };

  return (
    <Paper withBorder p="sm" component="section" aria-label="Streaming synthesis">
      <Stack gap="xs">
        <Title order={3} size="h5">
          Streaming (WebSocket)
        </Title>
        <Group>
          <Button variant="light" onClick={start} loading={running} disabled={!config.websocketUrl || !text.trim()}>
            Stream speech
          </Button>
          <Text size="sm" data-testid="tts-stream-stats">
            {stats.chunks} chunks
            {stats.firstAudioMs !== null ? `, first audio after ${Math.round(stats.firstAudioMs)} ms` : ""}
            {stats.end ? `, ${stats.end.audioSeconds.toFixed(2)} s of audio for ${stats.end.characters} characters` : ""}
          </Text>
        </Group>
        {error ? <ApiErrorAlert error={error} /> : null}
        {wavUrl ? <audio controls src={wavUrl} aria-label="Streamed speech" data-testid="tts-stream-audio" /> : null}
        <JsonBlock title="Last message received" value={lastReceived} testId="tts-stream-received" />
      </Stack>
    </Paper>
  );
}
