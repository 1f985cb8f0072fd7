"""Property tests: encode → decode, resample and downmix hold for any signal hypothesis draws."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from speech_core.audio import (
    MP3_SAMPLE_RATES,
    AudioContainer,
    AudioLimits,
    DecodedAudio,
    decode_audio,
    downmix_to_mono,
    encode_audio,
    resample,
)

LIMITS = AudioLimits(max_bytes=50_000_000, max_seconds=600)
RATES = st.sampled_from([8_000, 11_025, 16_000, 22_050, 24_000, 44_100, 48_000])
UNIT = st.floats(-1.0, 1.0, width=32, allow_nan=False)


@st.composite
def audio_clips(draw, max_frames: int = 4_000, max_channels: int = 2) -> DecodedAudio:
    frames = draw(st.integers(1, max_frames))
    channels = draw(st.integers(1, max_channels))
    samples = draw(arrays(np.float32, (frames, channels), elements=UNIT))
    return DecodedAudio(samples, draw(RATES))


@settings(max_examples=40, deadline=None)
@given(audio_clips(), st.sampled_from([AudioContainer.WAV, AudioContainer.FLAC]))
def test_lossless_round_trip_keeps_length_rate_and_values(audio, container):
    back = decode_audio(encode_audio(audio, container), LIMITS)
    assert (back.frames, back.channels, back.sample_rate) == (audio.frames, audio.channels, audio.sample_rate)
    # 16-bit quantisation is the only loss: half a step, plus libsndfile's 32767 vs 32768 scaling
    np.testing.assert_allclose(back.samples, audio.samples, atol=2 / 32768)


@settings(max_examples=15, deadline=None)
@given(
    frames=st.integers(2_000, 24_000),
    rate=st.sampled_from(sorted(MP3_SAMPLE_RATES)),
    container=st.sampled_from([AudioContainer.OGG, AudioContainer.MP3]),
)
def test_lossy_round_trip_keeps_rate_length_and_waveform_approximately(frames, rate, container):
    t = np.arange(frames) / rate
    audio = DecodedAudio.from_signal(0.4 * np.sin(2 * np.pi * 300 * t), rate)
    back = decode_audio(encode_audio(audio, container), LIMITS)
    assert back.sample_rate == rate
    # libsndfile writes gapless Vorbis/MP3 (measured: exact length); allow one MPEG frame of slack
    assert abs(back.frames - frames) <= 1_152
    n = min(back.frames, frames)
    correlation = np.corrcoef(back.signal[:n], audio.signal[:n])[0, 1]
    assert correlation > 0.95


@settings(max_examples=40, deadline=None)
@given(audio_clips(max_frames=20_000), RATES)
def test_resample_length_follows_rate_ratio(audio, target_rate):
    out = resample(audio, target_rate)
    assert out.sample_rate == target_rate and out.channels == audio.channels
    expected = audio.frames * target_rate / audio.sample_rate
    assert abs(out.frames - expected) <= 1


@settings(max_examples=40, deadline=None)
@given(arrays(np.float32, st.integers(1, 2_000), elements=UNIT), st.integers(2, 6), RATES)
def test_downmix_of_identical_channels_is_that_channel(channel, channels, rate):
    audio = DecodedAudio(np.repeat(channel[:, None], channels, axis=1), rate)
    mono = downmix_to_mono(audio)
    assert mono.channels == 1 and mono.sample_rate == rate
    np.testing.assert_allclose(mono.signal, channel, rtol=1e-6, atol=1e-7)
