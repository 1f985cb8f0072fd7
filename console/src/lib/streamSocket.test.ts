import { afterEach, describe, expect, it, vi } from "vitest";

import { openStreamSocket, STREAM_SUBPROTOCOL, stopMessage, streamSocketProtocols, streamSocketUrl } from "./streamSocket";

const KEY = "spk_abcdefghijkl_Ab-9_xYzAb-9_xYzAb-9_xYzAb-9_xYzAb-9_xYzAb-9";

describe("streamSocketProtocols", () => {
  it("offers speech.v1 and the key", () => {
    expect(streamSocketProtocols(KEY)).toEqual([STREAM_SUBPROTOCOL, KEY]);
    expect(streamSocketProtocols(`  ${KEY}\n`)).toEqual([STREAM_SUBPROTOCOL, KEY]);
  });

  it("refuses a key no subprotocol can carry", () => {
    for (const bad of ["", "spk a", "spk,a", "spk;a", "spk/a", "ключ", STREAM_SUBPROTOCOL]) {
      expect(() => streamSocketProtocols(bad)).toThrow(/cannot carry/);
    }
  });
});

describe("streamSocketUrl", () => {
  it("keeps the stage's URL and drops any query", () => {
    expect(streamSocketUrl("ws://127.0.0.1:8123/local")).toBe("ws://127.0.0.1:8123/local");
    expect(streamSocketUrl("wss://abc.execute-api.ap-south-1.amazonaws.com/dev/")).toBe(
      "wss://abc.execute-api.ap-south-1.amazonaws.com/dev/",
    );
    expect(streamSocketUrl("ws://127.0.0.1:8123/local?key=old")).toBe("ws://127.0.0.1:8123/local");
  });
});

describe("openStreamSocket", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("opens the URL without the key and offers the key as a subprotocol", () => {
    const opened: { url: string; protocols: unknown }[] = [];
    vi.stubGlobal(
      "WebSocket",
      class {
        constructor(url: string, protocols: unknown) {
          opened.push({ url, protocols });
        }
      },
    );
    openStreamSocket("ws://127.0.0.1:8123/local", KEY);
    expect(opened).toEqual([{ url: "ws://127.0.0.1:8123/local", protocols: [STREAM_SUBPROTOCOL, KEY] }]);
    expect(opened[0]?.url).not.toContain(KEY);
  });
});

describe("stopMessage", () => {
  it("names the last frame sent, or none", () => {
    expect(stopMessage(12)).toEqual({ action: "stop", lastSeq: 11 });
    expect(stopMessage(0)).toEqual({ action: "stop", lastSeq: -1 });
  });
});
