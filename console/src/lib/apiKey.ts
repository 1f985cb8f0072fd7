/** The API key lives in this tab's session storage only: never in the URL, local storage or a log. */
import { useSyncExternalStore } from "react";

const STORAGE_KEY = "speech-console.apiKey";
const listeners = new Set<() => void>();

export function getApiKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function setApiKey(key: string | null): void {
  if (key) {
    sessionStorage.setItem(STORAGE_KEY, key.trim());
  } else {
    sessionStorage.removeItem(STORAGE_KEY);
  }
  listeners.forEach((listener) => listener());
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useApiKey(): string | null {
  return useSyncExternalStore(subscribe, getApiKey);
}
