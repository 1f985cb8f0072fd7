import { describe, expect, it } from "vitest";

import { stackByDay } from "./usageChart";

describe("stackByDay", () => {
  it("stacks tasks per day in task order, days in date order", () => {
    const { bars, tasks, max } = stackByDay([
      { day: "2026-12-01", task: "tts", requests: 2 },
      { day: "2026-11-30", task: "asr", requests: 5 },
      { day: "2026-12-01", task: "asr", requests: 3 },
    ]);
    expect(tasks).toEqual(["asr", "tts"]);
    expect(bars.map((b) => [b.day, b.total])).toEqual([
      ["2026-11-30", 5],
      ["2026-12-01", 5],
    ]);
    expect(bars[1]?.segments).toEqual([
      { task: "asr", value: 3, offset: 0 },
      { task: "tts", value: 2, offset: 3 },
    ]);
    expect(max).toBe(5);
  });
});
