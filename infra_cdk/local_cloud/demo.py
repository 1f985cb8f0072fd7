"""The main job (`make demo`): the platform end to end on a sample, locally.

Step 1 runs the core on a real recording (pocketsphinx-testdata's public-domain `goforward.raw`, installed
by `make setup`): it is re-encoded as 44.1 kHz stereo MP3, as a client might send it, then decoded,
downmixed and resampled to 16 kHz mono the way the ASR path does, with the durations shown at each step.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from speech_core.audio import (
    AudioContainer,
    AudioLimits,
    DecodedAudio,
    decode_audio,
    decode_to_mono,
    encode_audio,
    resample,
)

SAMPLE_RAW = Path("/usr/share/pocketsphinx/test/data/goforward.raw")  # 16 kHz, 16-bit, mono, little-endian
SAMPLE_TEXT = "go forward ten meters"
DEMO_LIMITS = AudioLimits(max_bytes=10_000_000, max_seconds=60)


def _client_upload() -> bytes:
    """The sample as a client would upload it: stereo MP3 at 44.1 kHz."""
    pcm = np.frombuffer(SAMPLE_RAW.read_bytes(), dtype="<i2").astype(np.float32) / 32768.0
    upsampled = resample(DecodedAudio.from_signal(pcm, 16_000), 44_100).signal
    return encode_audio(DecodedAudio(np.stack([upsampled, upsampled], axis=1), 44_100), AudioContainer.MP3)


def run_core_on_sample() -> None:
    print("== 1. core: decode -> downmix -> resample on a real recording")
    if not SAMPLE_RAW.exists():
        raise SystemExit(f"sample {SAMPLE_RAW} is missing: run `make setup` (Debian package pocketsphinx-testdata)")
    upload = _client_upload()
    as_sent = decode_audio(upload, DEMO_LIMITS)
    print(f"   upload: {len(upload)} bytes MP3, {as_sent.sample_rate} Hz, {as_sent.channels} channels, "
          f"{as_sent.duration_s:.2f} s")
    mono = decode_to_mono(upload, DEMO_LIMITS, 16_000)
    print(f"   for ASR: {mono.sample_rate} Hz, {mono.channels} channel, {mono.duration_s:.2f} s "
          f"({mono.frames} samples); the recording says: {SAMPLE_TEXT!r}")


def main() -> int:
    run_core_on_sample()
    return 0


if __name__ == "__main__":
    sys.exit(main())
