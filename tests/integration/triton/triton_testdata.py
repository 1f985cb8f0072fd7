"""Test recordings from the Debian package pocketsphinx-testdata (public-domain LibriVox clips, CMU commands)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

TESTDATA = Path("/usr/share/pocketsphinx/test/data")


def read_testdata_audio(name: str) -> np.ndarray:
    """A pocketsphinx-testdata recording as mono float32 at 16 kHz (all of them are 16 kHz)."""
    path = TESTDATA / name
    if path.suffix == ".raw":
        return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    audio, rate = sf.read(path, dtype="float32")
    assert rate == 16000, f"{path} is {rate} Hz"
    return audio if audio.ndim == 1 else audio.mean(axis=1)


def librivox_references() -> dict[str, str]:
    """file id -> reference transcript, from the package's `transcription` file."""
    refs = {}
    for line in (TESTDATA / "librivox" / "transcription").read_text().splitlines():
        text, _, file_id = line.rpartition("(")
        refs[file_id.strip(" )")] = " ".join(w for w in text.split() if w not in ("<s>", "</s>"))
    return refs
