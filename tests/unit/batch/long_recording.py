"""A long recording of real speech built from the pocketsphinx test clips, with silences at known offsets.

Shared by the batch unit tests and the e2e jobs tests: the pieces are public-domain recordings (Debian's
`pocketsphinx-testdata`); `build_long_recording` puts them one after another with silences between, so each
piece's offset on the 16 kHz timeline is known to the sample.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

TEST_DATA = Path("/usr/share/pocketsphinx/test/data")
RATE = 16_000
PIECE_FILES = (
    "goforward.raw",
    "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
    "numbers.raw",
    "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
    "something.raw",
    "librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0920.wav",
    "librivox/sense_and_sensibility_01_austen_64kb-0930.wav",
)


def read_piece(name: str) -> np.ndarray:
    """One clip as float32 16 kHz mono."""
    path = TEST_DATA / name
    if path.suffix == ".raw":
        return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    samples, rate = sf.read(path, dtype="float32")
    assert rate == RATE
    return np.asarray(samples, dtype=np.float32)


@dataclass(frozen=True)
class Piece:
    name: str
    start_sample: int
    num_samples: int

    @property
    def start_s(self) -> float:
        return self.start_sample / RATE

    @property
    def end_s(self) -> float:
        return (self.start_sample + self.num_samples) / RATE


@dataclass(frozen=True)
class LongRecording:
    samples: np.ndarray
    pieces: tuple[Piece, ...]

    @property
    def duration_s(self) -> float:
        return self.samples.size / RATE

    def wav_bytes(self) -> bytes:
        buffer = io.BytesIO()
        sf.write(buffer, self.samples, RATE, format="WAV", subtype="PCM_16")
        return buffer.getvalue()

    def encoded(self, fmt: str, subtype: str | None = None, rate: int = RATE) -> bytes:
        """The recording in another container (and rate), e.g. ("FLAC",), ("OGG", "VORBIS"), ("MP3",)."""
        import soxr

        samples = self.samples if rate == RATE else soxr.resample(self.samples, RATE, rate)
        buffer = io.BytesIO()
        # written a second at a time: libsndfile's Vorbis encoder crashes on one large write
        with sf.SoundFile(buffer, "w", rate, 1, format=fmt, subtype=subtype) as sound:
            for at in range(0, samples.size, rate):
                sound.write(samples[at : at + rate])
        return buffer.getvalue()


def build_long_recording(repeats: int = 4, silences_s: tuple[float, ...] = (1.2, 2.0, 0.9, 3.1, 1.5)) -> LongRecording:
    """The clips `repeats` times over, each preceded by a silence cycling through `silences_s`."""
    parts: list[np.ndarray] = []
    pieces: list[Piece] = []
    position = 0
    k = 0
    for _ in range(repeats):
        for name in PIECE_FILES:
            silence = np.zeros(int(silences_s[k % len(silences_s)] * RATE), dtype=np.float32)
            k += 1
            piece = read_piece(name)
            parts += [silence, piece]
            position += silence.size
            pieces.append(Piece(name, position, piece.size))
            position += piece.size
    parts.append(np.zeros(RATE, dtype=np.float32))
    return LongRecording(np.concatenate(parts), tuple(pieces))
