/** Latency of a live stream: from sending audio frame `seq` to the first server message acknowledging it. */
export class LatencyTracker {
  private sent = new Map<number, number>();
  private measured: number[] = [];
  private lastAck = -1;

  frameSent(seq: number, at: number): void {
    this.sent.set(seq, at);
  }

  /** A server message with `ack` arrived at `at`: every frame newly acknowledged yields one sample. */
  acknowledged(ack: number, at: number): void {
    for (let seq = this.lastAck + 1; seq <= ack; seq += 1) {
      const sentAt = this.sent.get(seq);
      if (sentAt !== undefined) {
        this.measured.push(at - sentAt);
        this.sent.delete(seq);
      }
    }
    this.lastAck = Math.max(this.lastAck, ack);
  }

  percentile(p: number): number | null {
    if (!this.measured.length) return null;
    const sorted = [...this.measured].sort((a, b) => a - b);
    const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[index] ?? null;
  }

  get count(): number {
    return this.measured.length;
  }
}
