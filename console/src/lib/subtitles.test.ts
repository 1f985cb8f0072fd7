import { describe, expect, it } from "vitest";

import { toSrt, toVtt } from "./subtitles";

const segments = [
  { start: 0, end: 1.5, text: " go forward " },
  { start: 3661.042, end: 3662.0005, text: "ten meters" },
];

describe("subtitles", () => {
  it("writes SRT cues numbered from 1 with comma milliseconds", () => {
    expect(toSrt(segments)).toBe(
      "1\n00:00:00,000 --> 00:00:01,500\ngo forward\n\n2\n01:01:01,042 --> 01:01:02,001\nten meters\n",
    );
  });

  it("writes WebVTT with a header and dot milliseconds", () => {
    const vtt = toVtt(segments);
    expect(vtt.startsWith("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\ngo forward\n")).toBe(true);
    expect(vtt).toContain("01:01:01.042 --> 01:01:02.001\nten meters");
  });
});
