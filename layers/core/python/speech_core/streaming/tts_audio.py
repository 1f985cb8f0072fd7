"""A synthesized sentence as `audio` answers: pcm_s16le chunks small enough for API Gateway's frames."""

from __future__ import annotations

import base64

import numpy as np

from speech_core.contracts.streaming import MAX_TTS_CHUNK_BYTES, AudioChunkMessage

#: silence before each sentence after the first, as the sync TTS joins sentences
PAUSE_S = 0.15


def with_pause(signal: np.ndarray, sample_rate: int, first: bool) -> np.ndarray:
    """The sentence's samples, after the pause that separates it from the one before (none for the first)."""
    if first:
        return signal
    return np.concatenate([np.zeros(int(PAUSE_S * sample_rate), dtype=np.float32), signal])


def to_pcm16(signal: np.ndarray) -> bytes:
    """float32 in [-1, 1] -> signed 16-bit little-endian bytes (clipped)."""
    return (np.clip(signal, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()


def audio_chunks(
    signal: np.ndarray,
    sample_rate: int,
    *,
    ack: int,
    first_seq: int,
    text_seq: int,
    start_s: float,
    max_bytes: int = MAX_TTS_CHUNK_BYTES,
) -> list[AudioChunkMessage]:
    """One sentence's samples as numbered `audio` messages of at most `max_bytes` of PCM each (one at least)."""
    pcm = to_pcm16(signal)
    step = max(2, max_bytes - max_bytes % 2)
    pieces = [pcm[i : i + step] for i in range(0, len(pcm), step)] or [b""]
    messages: list[AudioChunkMessage] = []
    offset = 0
    for index, piece in enumerate(pieces):
        samples = len(piece) // 2
        messages.append(
            AudioChunkMessage(
                ack=ack,
                seq=first_seq + index,
                audio=base64.b64encode(piece).decode("ascii"),
                text_seq=text_seq,
                start=round(start_s + offset / sample_rate, 3),
                end=round(start_s + (offset + samples) / sample_rate, 3),
                final=index == len(pieces) - 1,
            )
        )
        offset += samples
    return messages
