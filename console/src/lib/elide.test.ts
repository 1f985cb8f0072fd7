import { describe, expect, it } from "vitest";

import { displayBody, elideAudio } from "./elide";

describe("elideAudio", () => {
  it("replaces audio content at any depth and keeps everything else", () => {
    const body = { audio: [{ audioContent: "AAAA" }], config: { language: { sourceLanguage: "en" } } };
    expect(elideAudio(body)).toEqual({
      audio: [{ audioContent: "<3 bytes of audio, base64, elided>" }],
      config: { language: { sourceLanguage: "en" } },
    });
  });

  it("elides a live frame's audio string", () => {
    expect(elideAudio({ action: "audio", seq: 3, audio: "AAAAAAAA" })).toEqual({
      action: "audio",
      seq: 3,
      audio: "<6 bytes of audio, base64, elided>",
    });
  });

  it("shows text that is not JSON as is and nothing for an empty body", () => {
    expect(displayBody("plain")).toBe("plain");
    expect(displayBody("")).toBeNull();
  });
});
