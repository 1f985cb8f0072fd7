/** What the request/response panels show: JSON with audio (and the API key) elided. */

const AUDIO_FIELDS = new Set(["audioContent", "audio"]);

export function elideAudio(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(elideAudio);
  }
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
      if (AUDIO_FIELDS.has(key) && typeof inner === "string") {
        out[key] = `<${Math.round((inner.length * 3) / 4)} bytes of audio, base64, elided>`;
      } else {
        out[key] = elideAudio(inner);
      }
    }
    return out;
  }
  return value;
}

/** Parses a body for display: JSON elided, other text as is, nothing when empty. */
export function displayBody(text: string | null | undefined): unknown {
  if (!text) {
    return null;
  }
  try {
    return elideAudio(JSON.parse(text));
  } catch {
    return text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} characters)` : text;
  }
}
