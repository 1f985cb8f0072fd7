/** What a stream must keep to resume after a dropped connection (docs/streaming.md "Resuming"): the session's id
 * and token from `ready`, and every audio frame the server has not acknowledged yet, to resend from `ack + 1`. */

export interface ResumableSession {
  sessionId: string;
  resumeToken: string;
}

/** The session of a `ready` message, or null when it has none. */
export function sessionOf(message: Record<string, unknown>): ResumableSession | null {
  return typeof message.sessionId === "string" && typeof message.resumeToken === "string"
    ? { sessionId: message.sessionId, resumeToken: message.resumeToken }
    : null;
}

/** Audio frames sent and not yet covered by an `ack`, by seq. */
export class UnackedFrames {
  private frames = new Map<number, string>();
  private highestAck = -1;

  /** Keeps a frame (its JSON message) until an ack covers it. */
  add(seq: number, message: string): void {
    if (seq > this.highestAck) this.frames.set(seq, message);
  }

  /** Forgets every frame at or below `ack` (acks never go back, so a lower one changes nothing). */
  acknowledge(ack: number): void {
    if (ack <= this.highestAck) return;
    this.highestAck = ack;
    for (const seq of [...this.frames.keys()]) {
      if (seq <= ack) this.frames.delete(seq);
    }
  }

  /** The last ack seen. */
  get lastAck(): number {
    return this.highestAck;
  }

  /** The frames to resend after a resumed `ready` with `ack`, in seq order. */
  resendAfter(ack: number): string[] {
    this.acknowledge(ack);
    return [...this.frames.entries()].sort(([a], [b]) => a - b).map(([, message]) => message);
  }

  get size(): number {
    return this.frames.size;
  }
}
