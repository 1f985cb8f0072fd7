/** The Live page's transcript: finals in stream order, whenever they arrive.
 *
 * A final may arrive after the next utterance's first partials (the server computes finals off the frame path;
 * docs/streaming.md). So a final is placed by its `utterance` (then its `start`), its translation is attached to
 * the final of the same utterance, and the partial on screen is cleared only when it belongs to that utterance or
 * an earlier one. */

export interface LiveFinal {
  utterance: number;
  text: string;
  start: number;
  end: number;
  translation?: string;
}

export interface LivePartial {
  utterance: number;
  text: string;
}

/** A server message's utterance (0 for a server that does not say). */
export function utteranceOf(message: Record<string, unknown>): number {
  return typeof message.utterance === "number" ? message.utterance : 0;
}

/** The finals with `final` in its place (by utterance, then start); a repeated utterance's final replaces it. */
export function placeFinal(finals: LiveFinal[], final: LiveFinal): LiveFinal[] {
  const others = finals.filter((f) => f.utterance !== final.utterance);
  return [...others, final].sort((a, b) => a.utterance - b.utterance || a.start - b.start);
}

/** The partial still on screen once `final` is in: none when the partial was of that utterance or an earlier one. */
export function partialAfterFinal(partial: LivePartial | null, final: LiveFinal): LivePartial | null {
  return partial !== null && partial.utterance > final.utterance ? partial : null;
}

/** The finals with `translation` attached to its utterance's final (it comes right after that final). */
export function attachTranslation(finals: LiveFinal[], utterance: number, translation: string): LiveFinal[] {
  return finals.map((f) => (f.utterance === utterance ? { ...f, translation } : f));
}
