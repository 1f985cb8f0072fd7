import { Badge, Button, Group, Paper, Select, Stack, Text, Title } from "@mantine/core";
import { useEffect, useRef, useState } from "react";

import { useApi } from "../api/context";
import { languagesOf, pairsOf, useModels } from "../api/models";
import { ApiErrorAlert } from "../components/ApiErrorAlert";
import { JsonBlock } from "../components/JsonBlock";
import { NeedsKey } from "../components/NeedsKey";
import { useApiKey } from "../lib/apiKey";
import { bytesToBase64, floatToPcm16 } from "../lib/audio";
import { elideAudio } from "../lib/elide";
import { LatencyTracker } from "../lib/liveLatency";
import { attachTranslation, partialAfterFinal, placeFinal, utteranceOf, type LiveFinal, type LivePartial } from "../lib/liveTranscript";
import { CAPTURE_RATE, startMicrophone, type MicrophoneCapture } from "../lib/microphone";
import { sessionOf, UnackedFrames, type ResumableSession } from "../lib/streamResume";
import { openStreamSocket, stopMessage } from "../lib/streamSocket";

const FRAME_SAMPLES = CAPTURE_RATE / 4; // 250 ms frames: 8 000 bytes of PCM16
// tries to resume a dropped stream before giving up (well inside the server's 30 s resume window)
const RESUME_TRIES = 3;
const RESUME_BACKOFF_MS = 500;

type Phase = "idle" | "connecting" | "streaming" | "reconnecting" | "stopping" | "ended";

/** Live: the microphone to the WebSocket API; partials as they arrive, finals, latency per frame. */
export function LivePage() {
  const { config } = useApi();
  const key = useApiKey();
  const models = useModels();
  const languages = languagesOf(models.data, "asr_streaming");
  const [language, setLanguage] = useState<string | null>("en");
  // optional live translation of each final (translateTo): the targets the registry pairs with the language
  const targets = pairsOf(models.data, "translation")
    .filter((p) => p.startsWith(`${language}-`))
    .map((p) => p.split("-")[1] ?? "");
  const [translateTo, setTranslateTo] = useState<string | null>(null);
  const [phase, setPhase] = useState<Phase>("idle");
  const [partial, setPartial] = useState<LivePartial | null>(null);
  const [partials, setPartials] = useState(0);
  const [finals, setFinals] = useState<LiveFinal[]>([]);
  const [latency, setLatency] = useState<{ p50: number | null; p95: number | null; count: number }>({ p50: null, p95: null, count: 0 });
  const [lastSent, setLastSent] = useState<unknown>(null);
  const [lastReceived, setLastReceived] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [ended, setEnded] = useState<{ audioSeconds: number; billedSeconds: number } | null>(null);
  const socket = useRef<WebSocket | null>(null);
  const mic = useRef<MicrophoneCapture | null>(null);
  const pending = useRef<Float32Array[]>([]);
  const pendingCount = useRef(0);
  const seq = useRef(0);
  const tracker = useRef(new LatencyTracker());
  // resuming after a dropped connection: the session, the frames not acknowledged yet, what the page asked for
  const [resumes, setResumes] = useState(0);
  const session = useRef<ResumableSession | null>(null);
  const unacked = useRef(new UnackedFrames());
  const stopRequested = useRef(false);
  const finished = useRef(true); // no stream, or one that ended (or that the page closed)
  const resumeTries = useRef(0);

  useEffect(
    () => () => {
      finished.current = true;
      void mic.current?.stop();
      socket.current?.close();
    },
    [],
  );

  /** Sends now when the socket is open; otherwise audio waits in `unacked` for the resumed connection. */
  const send = (message: Record<string, unknown>) => {
    const ws = socket.current;
    if (ws?.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(message));
      setLastSent(elideAudio(message));
    }
  };

  const flush = (all: boolean) => {
    while (pendingCount.current >= FRAME_SAMPLES || (all && pendingCount.current > 0)) {
      const joined = new Float32Array(pendingCount.current);
      let offset = 0;
      for (const block of pending.current) {
        joined.set(block, offset);
        offset += block.length;
      }
      const take = Math.min(FRAME_SAMPLES, joined.length);
      const frame = floatToPcm16(joined.subarray(0, take));
      const rest = joined.slice(take);
      pending.current = rest.length ? [rest] : [];
      pendingCount.current = rest.length;
      const frameSeq = seq.current;
      seq.current += 1;
      tracker.current.frameSent(frameSeq, performance.now());
      const message = { action: "audio", seq: frameSeq, audio: bytesToBase64(new Uint8Array(frame.buffer)) };
      unacked.current.add(frameSeq, JSON.stringify(message));
      send(message);
    }
  };

  const onMessage = (event: MessageEvent<string>) => {
    const message = JSON.parse(event.data) as Record<string, unknown> & { type: string; ack?: number };
    setLastReceived(elideAudio(message));
    if (typeof message.ack === "number") {
      unacked.current.acknowledge(message.ack);
      tracker.current.acknowledged(message.ack, performance.now());
      setLatency({ p50: tracker.current.percentile(50), p95: tracker.current.percentile(95), count: tracker.current.count });
    }
    if (message.type === "ready" && message.resumed === true) {
      // the same stream on a new connection: resend every frame after the server's ack, then go on
      resumeTries.current = 0;
      setResumes((n) => n + 1);
      const ws = socket.current;
      for (const frame of unacked.current.resendAfter(Number(message.ack))) ws?.send(frame);
      if (stopRequested.current) {
        send(stopMessage(seq.current));
      }
      setPhase(stopRequested.current ? "stopping" : "streaming");
    } else if (message.type === "ready") {
      session.current = sessionOf(message);
      void (async () => {
        try {
          mic.current = await startMicrophone((samples) => {
            pending.current.push(samples);
            pendingCount.current += samples.length;
            flush(false);
          });
          setPhase("streaming");
        } catch (err) {
          finished.current = true;
          setError(err);
          socket.current?.close();
          setPhase("idle");
        }
      })();
    } else if (message.type === "partial") {
      setPartial({ utterance: utteranceOf(message), text: String(message.text ?? "") });
      setPartials((n) => n + 1);
    } else if (message.type === "final") {
      // a final may come after the next utterance's partials: placed by its utterance, not by its arrival
      const final = { utterance: utteranceOf(message), text: String(message.text ?? ""), start: Number(message.start), end: Number(message.end) };
      setFinals((list) => placeFinal(list, final));
      setPartial((current) => partialAfterFinal(current, final));
    } else if (message.type === "translation") {
      setFinals((list) => attachTranslation(list, utteranceOf(message), String(message.translation ?? "")));
    } else if (message.type === "end") {
      finished.current = true;
      setEnded({ audioSeconds: Number(message.audioSeconds), billedSeconds: Number(message.billedSeconds) });
      setPhase("ended");
      socket.current?.close();
    } else if (message.type === "error") {
      if (message.code === "stream.resume_refused") {
        // the session is gone (past the resume window): this stream is over
        finished.current = true;
        void mic.current?.stop();
        mic.current = null;
        socket.current?.close();
      }
      setError({ name: "StreamError", message: `${String(message.code)}: ${String(message.message)}` });
    }
  };

  /** Opens a connection: `start` for a new stream, `resume` for the dropped one; a drop before `end` resumes. */
  const connect = (websocketUrl: string, apiKey: string, resume: ResumableSession | null) => {
    let ws: WebSocket;
    try {
      // browsers cannot set headers on a WebSocket: the key goes in the subprotocol offer, never the URL
      ws = openStreamSocket(websocketUrl, apiKey);
    } catch (err) {
      finished.current = true;
      setError(err);
      setPhase("idle");
      return;
    }
    socket.current = ws;
    ws.onopen = () =>
      send(
        resume
          ? { action: "resume", sessionId: resume.sessionId, resumeToken: resume.resumeToken, lastAck: unacked.current.lastAck }
          : {
              action: "start",
              language: language ?? "en",
              sampleRate: CAPTURE_RATE,
              encoding: "pcm_s16le",
              ...(translateTo ? { translateTo } : {}),
            },
      );
    ws.onmessage = onMessage;
    ws.onerror = () => {
      if (!session.current) setError(new Error("The WebSocket API refused the connection (check the key's streaming scope)."));
    };
    ws.onclose = () => {
      if (socket.current !== ws) return; // an older connection
      if (finished.current || !session.current || resumeTries.current >= RESUME_TRIES) {
        if (!finished.current && session.current) {
          setError(new Error("The connection dropped and the stream could not be resumed."));
          void mic.current?.stop();
        }
        finished.current = true;
        setPhase((p) => (p === "ended" ? p : "idle"));
        return;
      }
      // dropped mid-stream: resume the session on a new connection (docs/streaming.md "Resuming")
      resumeTries.current += 1;
      setPhase("reconnecting");
      const dropped = session.current;
      window.setTimeout(() => {
        if (!finished.current) connect(websocketUrl, apiKey, dropped);
      }, RESUME_BACKOFF_MS * resumeTries.current);
    };
  };

  const start = () => {
    if (!config.websocketUrl || !key) return;
    setError(null);
    setFinals([]);
    setPartial(null);
    setPartials(0);
    setEnded(null);
    seq.current = 0;
    pending.current = [];
    pendingCount.current = 0;
    tracker.current = new LatencyTracker();
    session.current = null;
    unacked.current = new UnackedFrames();
    stopRequested.current = false;
    finished.current = false;
    resumeTries.current = 0;
    setResumes(0);
    setPhase("connecting");
    connect(config.websocketUrl, key, null);
  };

  const stop = async () => {
    stopRequested.current = true;
    setPhase("stopping");
    await mic.current?.stop();
    mic.current = null;
    flush(true);
    send(stopMessage(seq.current));
  };

  return (
    <NeedsKey>
      <Stack>
        <Title order={2}>Live transcription</Title>
        {!config.websocketUrl ? <Text c="red.9">This stage has no WebSocket API.</Text> : null}
        <Group align="end">
          <Select label="Language" data={languages.length ? languages : ["en"]} value={language} onChange={setLanguage} allowDeselect={false} />
          <Select
            label="Translate finals to"
            placeholder="No translation"
            data={targets}
            value={translateTo}
            onChange={setTranslateTo}
            clearable
            disabled={phase !== "idle" && phase !== "ended"}
          />
          {phase === "streaming" || phase === "reconnecting" ? (
            <Button color="red" onClick={() => void stop()}>
              Stop
            </Button>
          ) : (
            <Button onClick={start} loading={phase === "connecting" || phase === "stopping"} disabled={!config.websocketUrl}>
              Start streaming
            </Button>
          )}
          <Badge variant="light" data-testid="live-phase">{phase}</Badge>
          {resumes > 0 ? (
            <Text size="sm" data-testid="live-resumes">
              Connection dropped and resumed {resumes === 1 ? "once" : `${resumes} times`}
            </Text>
          ) : null}
        </Group>
        {error ? <ApiErrorAlert error={error} /> : null}
        <Paper withBorder p="sm" aria-live="polite" aria-label="Live transcript">
          <Text size="sm" c="dimmed">
            Partial ({partials} so far)
          </Text>
          <Text data-testid="live-partial" fs="italic">
            {partial?.text || "…"}
          </Text>
          <Text size="sm" c="dimmed" mt="sm">
            Finals
          </Text>
          {finals.map((f) => (
            <div key={f.utterance}>
              <Text data-testid="live-final">
                [{f.start.toFixed(2)}–{f.end.toFixed(2)} s] {f.text}
              </Text>
              {f.translation !== undefined ? (
                <Text size="sm" c="blue.9" data-testid="live-translation">
                  → {f.translation}
                </Text>
              ) : null}
            </div>
          ))}
        </Paper>
        <Group>
          <Text size="sm" data-testid="live-latency">
            Latency (frame sent → acknowledged): p50 {latency.p50 !== null ? `${Math.round(latency.p50)} ms` : "—"}, p95{" "}
            {latency.p95 !== null ? `${Math.round(latency.p95)} ms` : "—"} over {latency.count} frames
          </Text>
          {ended ? (
            <Text size="sm" data-testid="live-end">
              Stream ended: {ended.audioSeconds.toFixed(2)} s of audio, {ended.billedSeconds} s billed
            </Text>
          ) : null}
        </Group>
        <Paper withBorder p="sm" component="section" aria-label="Messages">
          <JsonBlock title="Last message sent" value={lastSent} testId="live-sent" />
          <JsonBlock title="Last message received" value={lastReceived} testId="live-received" />
        </Paper>
      </Stack>
    </NeedsKey>
  );
}
