/** Every API call the console makes, as the panels show it: request and response JSON (audio elided), the
 * request id, the status and the latency measured here. Kept in memory for this tab only. */
import { useSyncExternalStore } from "react";

export interface Exchange {
  id: string;
  method: string;
  path: string;
  requestBody: unknown;
  status: number | null;
  responseBody: unknown;
  requestId: string | null;
  latencyMs: number;
  at: number;
}

const MAX_EXCHANGES = 50;
let exchanges: Exchange[] = [];
const listeners = new Set<() => void>();

export function recordExchange(exchange: Exchange): void {
  exchanges = [exchange, ...exchanges].slice(0, MAX_EXCHANGES);
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The newest exchanges whose path starts with one of `prefixes` (newest first). */
export function useExchanges(prefixes: string[]): Exchange[] {
  const all = useSyncExternalStore(subscribe, () => exchanges);
  return all.filter((e) => prefixes.some((p) => e.path.startsWith(p)));
}
