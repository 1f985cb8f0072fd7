"""Decoding, probing, downmixing and resampling real encoded audio."""

from __future__ import annotations

import numpy as np
import pytest

from speech_core.audio import (
    AudioContainer,
    AudioLimits,
    DecodedAudio,
    decode_audio,
    decode_to_mono,
    downmix_to_mono,
    encode_audio,
    probe_audio,
    resample,
)
from tests.unit.audio.audio_samples import encode, tone

LIMITS = AudioLimits(max_bytes=5_000_000, max_seconds=60)
CONTAINERS = {
    AudioContainer.WAV: ("WAV", "PCM_16"),
    AudioContainer.FLAC: ("FLAC", "PCM_16"),
    AudioContainer.OGG: ("OGG", "VORBIS"),
    AudioContainer.MP3: ("MP3", "MPEG_LAYER_III"),
}


def dominant_frequency(signal: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(signal))
    return float(np.fft.rfftfreq(len(signal), 1 / sample_rate)[np.argmax(spectrum)])


def test_8k_stereo_becomes_16k_mono():
    # Given 1 s of 8 kHz stereo: the same 440 Hz tone, the right channel at half the level
    stereo = tone(1.0, 8_000, channels=2)
    data = encode(stereo, 8_000, "WAV", "FLOAT")
    # When it is prepared for ASR
    audio = decode_to_mono(data, LIMITS, 16_000)
    # Then it is mono at 16 kHz, twice the frames, the channels' average, the tone unmoved
    assert (audio.channels, audio.sample_rate, audio.frames) == (1, 16_000, 16_000)
    assert audio.duration_s == pytest.approx(1.0)
    assert np.max(np.abs(audio.signal)) == pytest.approx(0.375, abs=0.01)  # (0.5 + 0.25) / 2
    assert dominant_frequency(audio.signal, 16_000) == pytest.approx(440, abs=2)


def test_downmix_averages_channels():
    samples = np.array([[1.0, 0.0], [0.5, -0.5], [0.2, 0.4]], dtype=np.float32)
    mono = downmix_to_mono(DecodedAudio(samples, 8_000))
    np.testing.assert_allclose(mono.signal, [0.5, 0.0, 0.3], atol=1e-7)


@pytest.mark.parametrize("container", list(AudioContainer))
def test_probe_reads_header_of_each_container(container):
    fmt, subtype = CONTAINERS[container]
    data = encode(tone(2.0, 16_000, channels=2), 16_000, fmt, subtype)
    info = probe_audio(data)
    assert (info.container, info.sample_rate, info.channels) == (container, 16_000, 2)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)


@pytest.mark.parametrize("container", list(AudioContainer))
def test_decode_each_container_keeps_the_tone(container):
    fmt, subtype = CONTAINERS[container]
    data = encode(tone(1.0, 16_000), 16_000, fmt, subtype)
    audio = decode_audio(data, LIMITS)
    assert audio.samples.dtype == np.float32
    assert audio.sample_rate == 16_000
    assert dominant_frequency(audio.signal, 16_000) == pytest.approx(440, abs=2)


def test_mislabelled_bytes_decode_by_content():
    # a FLAC file is recognised by its bytes whatever the client called it
    data = encode(tone(0.5, 16_000), 16_000, "FLAC")
    assert probe_audio(data).container is AudioContainer.FLAC


def test_streamed_wav_with_unknown_data_size_decodes():
    # writers that cannot seek back (pipes) leave 0xFFFFFFFF in the data size field
    data = bytearray(encode(tone(0.5, 16_000), 16_000, "WAV"))
    data[40:44] = b"\xff\xff\xff\xff"
    audio = decode_audio(bytes(data), LIMITS)
    assert audio.frames == 8_000


def test_resample_to_same_rate_is_identity():
    audio = DecodedAudio(tone(0.1, 16_000), 16_000)
    assert resample(audio, 16_000) is audio


def test_encode_then_decode_wav_is_exact_to_16_bits():
    audio = DecodedAudio(tone(0.25, 22_050, channels=2), 22_050)
    back = decode_audio(encode_audio(audio, AudioContainer.WAV), LIMITS)
    assert (back.frames, back.channels, back.sample_rate) == (audio.frames, 2, 22_050)
    np.testing.assert_allclose(back.samples, audio.samples, atol=1 / 32768)


def test_encode_clips_instead_of_wrapping():
    loud = DecodedAudio(np.array([[1.5], [-2.0], [0.0]], dtype=np.float32), 16_000)
    back = decode_audio(encode_audio(loud, AudioContainer.WAV), LIMITS)
    assert back.signal[0] > 0.99 and back.signal[1] <= -0.99
