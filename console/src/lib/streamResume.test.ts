import { describe, expect, it } from "vitest";

import { sessionOf, UnackedFrames } from "./streamResume";

describe("UnackedFrames", () => {
  it("keeps frames until an ack covers them and resends the rest in seq order", () => {
    const frames = new UnackedFrames();
    for (const seq of [0, 1, 3, 2, 4]) frames.add(seq, `frame ${seq}`);
    frames.acknowledge(1);
    expect(frames.size).toBe(3);
    frames.acknowledge(0); // an older ack changes nothing
    expect(frames.lastAck).toBe(1);
    // the resumed stream had applied frame 2 before the drop
    expect(frames.resendAfter(2)).toEqual(["frame 3", "frame 4"]);
    frames.add(2, "frame 2 again"); // at or below the ack: nothing to keep
    expect(frames.resendAfter(2)).toEqual(["frame 3", "frame 4"]);
  });
});

describe("sessionOf", () => {
  it("reads the session a ready message names", () => {
    expect(sessionOf({ type: "ready", sessionId: "s", resumeToken: "t" })).toEqual({ sessionId: "s", resumeToken: "t" });
    expect(sessionOf({ type: "ready" })).toBeNull();
  });
});
