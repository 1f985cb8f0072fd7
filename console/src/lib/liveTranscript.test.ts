import { describe, expect, it } from "vitest";

import { attachTranslation, partialAfterFinal, placeFinal, utteranceOf, type LiveFinal } from "./liveTranscript";

const final = (utterance: number, text: string, start: number, end: number): LiveFinal => ({ utterance, text, start, end });

describe("the Live transcript", () => {
  it("places a final that arrives after the next utterance's partials before that utterance", () => {
    let finals: LiveFinal[] = [];
    let partial = { utterance: 0, text: "go for" };
    // utterance 1 starts speaking before utterance 0's final is in
    partial = { utterance: 1, text: "turn" };
    finals = placeFinal(finals, final(1, "turn left", 3.0, 4.0));
    finals = placeFinal(finals, final(0, "go forward ten meters", 0.0, 2.8));
    expect(finals.map((f) => f.text)).toEqual(["go forward ten meters", "turn left"]);
    // utterance 0's final leaves utterance 1's partial on screen; utterance 1's clears it
    expect(partialAfterFinal(partial, final(0, "go forward ten meters", 0.0, 2.8))).toEqual(partial);
    expect(partialAfterFinal(partial, final(1, "turn left", 3.0, 4.0))).toBeNull();
    expect(partialAfterFinal(null, final(0, "x", 0, 1))).toBeNull();
  });

  it("attaches a translation to its utterance's final, wherever that final stands", () => {
    let finals = placeFinal([], final(1, "turn", 3, 4));
    finals = placeFinal(finals, final(0, "go forward", 0, 2));
    finals = attachTranslation(finals, 1, "gira");
    finals = attachTranslation(finals, 0, "avanzar");
    expect(finals.map((f) => [f.text, f.translation])).toEqual([
      ["go forward", "avanzar"],
      ["turn", "gira"],
    ]);
  });

  it("reads the utterance of a message, 0 when the server does not say", () => {
    expect(utteranceOf({ type: "final", utterance: 3 })).toBe(3);
    expect(utteranceOf({ type: "final" })).toBe(0);
  });
});
