/** Opens a WebSocket to the streaming API with the key in the subprotocol offer, never in the URL.
 *
 * Browsers cannot set headers on a WebSocket. The API reads the key from `Sec-WebSocket-Protocol` when the
 * client offers `speech.v1` beside it, and answers with `speech.v1` alone (docs/streaming.md "Connecting").
 * Subprotocol names must be RFC 7230 tokens: every key the API issues is one (`spk_<id>_<A-Za-z0-9_->`). */

export const STREAM_SUBPROTOCOL = "speech.v1";

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** The subprotocols to offer: `speech.v1` and the key. Throws for a key no subprotocol can carry. */
export function streamSocketProtocols(key: string): [string, string] {
  const trimmed = key.trim();
  if (!TOKEN.test(trimmed) || trimmed === STREAM_SUBPROTOCOL) {
    throw new Error("This API key has characters a WebSocket cannot carry: check that it was pasted whole.");
  }
  return [STREAM_SUBPROTOCOL, trimmed];
}

/** The WebSocket URL exactly as the stage's configuration gives it (no key, no query). */
export function streamSocketUrl(websocketUrl: string): string {
  return websocketUrl.split(/[?#]/, 1)[0] ?? websocketUrl;
}

/** A new WebSocket to the streaming API, authorized by the key in the subprotocol offer. */
export function openStreamSocket(websocketUrl: string, key: string): WebSocket {
  return new WebSocket(streamSocketUrl(websocketUrl), streamSocketProtocols(key));
}

/** `stop` after the frames sent so far (`nextSeq` is the next frame's seq): the server holds it until the last
 * of them is applied, even when API Gateway runs it before them (docs/streaming.md "Ordering"). */
export function stopMessage(nextSeq: number): { action: "stop"; lastSeq: number } {
  return { action: "stop", lastSeq: nextSeq - 1 };
}
