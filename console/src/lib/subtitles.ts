/** SRT and WebVTT from transcript segments (times in seconds). */
export interface TimedText {
  start: number;
  end: number;
  text: string;
}

function clock(seconds: number, separator: "," | "."): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const totalS = Math.floor(totalMs / 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(Math.floor(totalS / 3600))}:${pad(Math.floor(totalS / 60) % 60)}:${pad(totalS % 60)}${separator}${pad(ms, 3)}`;
}

export function toSrt(segments: TimedText[]): string {
  return segments
    .map((s, i) => `${i + 1}\n${clock(s.start, ",")} --> ${clock(s.end, ",")}\n${s.text.trim()}\n`)
    .join("\n");
}

export function toVtt(segments: TimedText[]): string {
  const cues = segments.map((s) => `${clock(s.start, ".")} --> ${clock(s.end, ".")}\n${s.text.trim()}\n`);
  return ["WEBVTT\n", ...cues].join("\n");
}

export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(2)} s`;
}
