import { describe, expect, it } from "vitest";

import { base64ToBytes, bytesToBase64, floatToPcm16, wavDurationSeconds, wavFromPcm16 } from "./audio";

describe("audio", () => {
  it("clips and scales float samples to PCM16", () => {
    expect(Array.from(floatToPcm16(new Float32Array([0, 1, -1, 2, -2, 0.5])))).toEqual([0, 32767, -32768, 32767, -32768, 16384]);
  });

  it("wraps PCM16 mono in a 44-byte WAV header the duration can be read back from", () => {
    const wav = wavFromPcm16(new Int16Array(16_000), 16_000);
    expect(wav.length).toBe(44 + 32_000);
    expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe("RIFF");
    expect(new TextDecoder().decode(wav.subarray(8, 16))).toBe("WAVEfmt ");
    expect(wavDurationSeconds(wav)).toBe(1);
  });

  it("round-trips bytes through base64, large buffers included", () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 251);
    expect(base64ToBytes(bytesToBase64(bytes))).toEqual(bytes);
  });
});
