"""Silence at the end of the utterance (endpointing): energy windows, speech seen or not."""

from __future__ import annotations

import numpy as np

from speech_core.streaming.silence import SilenceRun, after_chunk

RATE = 16_000
START = SilenceRun(0.0, False)


def tone(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_silence_before_any_speech_grows_but_is_not_speech():
    run = after_chunk(START, tone(0.25, 0.001), RATE)  # -63 dBFS: background noise
    run = after_chunk(run, np.zeros(4000, dtype=np.float32), RATE)
    assert run == SilenceRun(0.5, False)


def test_speech_then_silence_counts_the_silence_after_the_last_loud_window():
    chunk = np.concatenate([tone(0.1, 0.3), np.zeros(2400, dtype=np.float32)])  # 100 ms speech, 150 ms quiet
    run = after_chunk(START, chunk, RATE)
    assert run.has_speech and abs(run.trailing_s - 0.15) < 0.021
    run = after_chunk(run, np.zeros(4000, dtype=np.float32), RATE)
    assert run.has_speech and abs(run.trailing_s - 0.40) < 0.021
    assert after_chunk(run, tone(0.25, 0.3), RATE).trailing_s < 0.021
