"""Endpointing by silence (pure): how much silence ends the audio so far, and whether it held speech.

Energy in 20 ms windows: a window under -45 dBFS is silence. Real recordings (pocketsphinx's goforward.raw)
have a noise floor near -55 dBFS, words above -35 dBFS and pauses inside a sentence under 200 ms, so an
endpointing of 300 ms or more does not cut a sentence at its own pauses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: numpy loads with the first audio frame
    import numpy as np

SILENCE_DBFS = -45.0
WINDOW_S = 0.02


@dataclass(frozen=True)
class SilenceRun:
    """After a chunk: seconds of silence at the end of the utterance, and whether it has held speech."""

    trailing_s: float
    has_speech: bool


def after_chunk(previous: SilenceRun, samples: np.ndarray, sample_rate: int) -> SilenceRun:
    """The silence run once `samples` (float32 in [-1, 1]) follow the utterance so far."""
    import numpy as np  # cold start: with the first audio frame

    window = max(1, round(WINDOW_S * sample_rate))
    count = samples.size // window
    if count == 0:
        return SilenceRun(previous.trailing_s + samples.size / sample_rate, previous.has_speech)
    windows = samples[: count * window].reshape(count, window).astype(np.float64)
    threshold = 10 ** (SILENCE_DBFS / 20)
    loud = np.sqrt(np.mean(windows**2, axis=1)) >= threshold
    rest_s = (samples.size - count * window) / sample_rate
    if not loud.any():
        return SilenceRun(previous.trailing_s + samples.size / sample_rate, previous.has_speech)
    last_loud = int(np.flatnonzero(loud)[-1])
    return SilenceRun((count - 1 - last_loud) * window / sample_rate + rest_s, True)
