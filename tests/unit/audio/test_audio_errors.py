"""Every audio error code, each provoked by a real bad input."""

from __future__ import annotations

import base64
import tracemalloc

import numpy as np
import pytest

from speech_core.audio import (
    AudioContainer,
    AudioLimits,
    decode_audio,
    decode_base64_audio,
    encode_audio,
    probe_audio,
)
from speech_core.audio.decoded_audio import DecodedAudio
from speech_core.errors import AudioError, ErrorCode
from tests.unit.audio.audio_samples import encode, tone, wav_header_only

LIMITS = AudioLimits(max_bytes=5_000_000, max_seconds=60)


def code_of(call, *args, **kwargs) -> ErrorCode:
    with pytest.raises(AudioError) as caught:
        call(*args, **kwargs)
    assert caught.value.is_client_error, caught.value
    return caught.value.code


def test_zero_byte_file_is_empty():
    assert code_of(decode_audio, b"", LIMITS) is ErrorCode.AUDIO_EMPTY
    assert code_of(probe_audio, b"") is ErrorCode.AUDIO_EMPTY


def test_empty_base64_is_empty():
    assert code_of(decode_base64_audio, "  \n") is ErrorCode.AUDIO_EMPTY


@pytest.mark.parametrize("content", ["not base64 at all!", "abcde", "UklGRg==UklGRg==", "ab$d"])
def test_bad_base64_is_invalid_base64(content):
    assert code_of(decode_base64_audio, content) is ErrorCode.AUDIO_INVALID_BASE64


def test_base64_with_prefix_newlines_and_no_padding_decodes():
    raw = encode(tone(0.1, 16_000), 16_000, "WAV")
    text = base64.b64encode(raw).decode().rstrip("=")
    wrapped = "data:audio/wav;base64," + "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert decode_base64_audio(wrapped) == raw


def test_oversized_base64_refused_before_decoding():
    content = base64.b64encode(b"\0" * 3000).decode()
    assert code_of(decode_base64_audio, content, max_bytes=1000) is ErrorCode.AUDIO_TOO_LARGE


def test_oversized_bytes_are_too_large():
    data = encode(tone(1.0, 16_000), 16_000, "WAV")
    small = AudioLimits(max_bytes=len(data) - 1, max_seconds=60)
    assert code_of(decode_audio, data, small) is ErrorCode.AUDIO_TOO_LARGE


def test_random_bytes_are_unsupported_format():
    data = np.random.default_rng(7).bytes(4096)
    assert data[0] != 0xFF  # so it cannot pass for an MPEG frame sync
    assert code_of(decode_audio, data, LIMITS) is ErrorCode.AUDIO_UNSUPPORTED_FORMAT


def test_aiff_is_unsupported_format():
    # a real, valid container that the platform does not accept
    data = encode(tone(0.5, 16_000), 16_000, "AIFF")
    assert code_of(decode_audio, data, LIMITS) is ErrorCode.AUDIO_UNSUPPORTED_FORMAT


def test_too_many_channels_is_unsupported_format():
    data = encode(tone(0.1, 16_000, channels=3), 16_000, "WAV")
    limits = AudioLimits(max_bytes=5_000_000, max_seconds=60, max_channels=2)
    assert code_of(decode_audio, data, limits) is ErrorCode.AUDIO_UNSUPPORTED_FORMAT


def test_truncated_wav_is_corrupt():
    data = encode(tone(1.0, 16_000), 16_000, "WAV")
    assert code_of(decode_audio, data[: len(data) // 2], LIMITS) is ErrorCode.AUDIO_CORRUPT


def test_wav_without_fmt_chunk_is_corrupt():
    data = b"RIFF" + (100).to_bytes(4, "little") + b"WAVE" + b"junk" + (4).to_bytes(4, "little") + b"abcd"
    assert code_of(decode_audio, data, LIMITS) is ErrorCode.AUDIO_CORRUPT


def test_mp3_header_followed_by_garbage_is_corrupt():
    real = encode(tone(1.0, 16_000), 16_000, "MP3")
    data = real[:64] + np.random.default_rng(3).bytes(8000)
    assert code_of(decode_audio, data, LIMITS) is ErrorCode.AUDIO_CORRUPT


def test_id3_tag_followed_by_garbage_is_corrupt():
    data = b"ID3" + np.random.default_rng(4).bytes(8000)
    assert code_of(decode_audio, data, LIMITS) is ErrorCode.AUDIO_CORRUPT


@pytest.mark.parametrize("fmt,subtype", [("FLAC", "PCM_16"), ("OGG", "VORBIS")])
def test_truncated_flac_and_ogg_are_corrupt(fmt, subtype):
    data = encode(tone(1.0, 16_000), 16_000, fmt, subtype)
    assert code_of(decode_audio, data[: len(data) // 2], LIMITS) is ErrorCode.AUDIO_CORRUPT


def test_float_wav_with_nan_is_corrupt():
    samples = tone(0.1, 16_000)
    samples[10, 0] = np.nan
    data = encode(samples, 16_000, "WAV", "FLOAT")
    assert code_of(decode_audio, data, LIMITS) is ErrorCode.AUDIO_CORRUPT


def test_three_hours_of_header_only_silence_is_too_long_without_allocating_it():
    # Given a 44-byte WAV whose header declares 3 h of 16 kHz audio (~690 MB as float32)
    data = wav_header_only(3 * 3600)
    assert len(data) == 44
    # When it is decoded under a 60 s limit
    tracemalloc.start()
    try:
        code = code_of(decode_audio, data, LIMITS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Then it is refused as too long, from the header, having allocated almost nothing
    assert code is ErrorCode.AUDIO_TOO_LONG
    assert peak < 1_000_000
    assert probe_audio(data).duration_s == pytest.approx(3 * 3600)


def test_real_flac_longer_than_limit_is_too_long():
    data = encode(tone(3.0, 16_000), 16_000, "FLAC")
    limits = AudioLimits(max_bytes=5_000_000, max_seconds=2)
    assert code_of(decode_audio, data, limits) is ErrorCode.AUDIO_TOO_LONG


def test_wav_with_zero_frames_has_no_samples():
    data = encode(np.zeros((0, 1), dtype=np.float32), 16_000, "WAV")
    assert code_of(decode_audio, data, LIMITS) is ErrorCode.AUDIO_NO_SAMPLES


@pytest.mark.parametrize("rate", [4_000, 384_000])
def test_rate_outside_8k_to_192k_is_unsupported(rate):
    data = encode(tone(0.1, rate), rate, "WAV")
    assert code_of(decode_audio, data, LIMITS) is ErrorCode.AUDIO_UNSUPPORTED_SAMPLE_RATE


def test_mp3_cannot_be_encoded_at_96k():
    audio = DecodedAudio(tone(0.1, 96_000), 96_000)
    assert code_of(encode_audio, audio, AudioContainer.MP3) is ErrorCode.AUDIO_UNSUPPORTED_SAMPLE_RATE
