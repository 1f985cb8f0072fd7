import { describe, expect, it } from "vitest";

import { LatencyTracker } from "./liveLatency";

describe("LatencyTracker", () => {
  it("measures each frame from its send to the first ack covering it", () => {
    const tracker = new LatencyTracker();
    tracker.frameSent(0, 100);
    tracker.frameSent(1, 350);
    tracker.frameSent(2, 600);
    tracker.acknowledged(-1, 120); // ready: nothing acknowledged yet
    tracker.acknowledged(0, 180);
    tracker.acknowledged(2, 700); // frames 1 and 2 at once
    tracker.acknowledged(2, 900); // a repeated ack measures nothing again
    expect(tracker.count).toBe(3);
    expect(tracker.percentile(50)).toBe(100);
    expect(tracker.percentile(95)).toBe(350);
  });

  it("has no percentile before any ack", () => {
    expect(new LatencyTracker().percentile(50)).toBeNull();
  });
});
