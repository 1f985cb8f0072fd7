"""Audio in and out: base64 → bytes → probe → decode → mono → resample, and encode back.

Importable without network or database. Bad input raises `speech_core.errors.AudioError` with a stable
code; limits come from the caller as an `AudioLimits`.
"""

from .audio_info import AudioInfo
from .base64_input import decode_base64_audio
from .decode import check_header, check_size, decode_audio, decode_to_mono
from .decoded_audio import DecodedAudio
from .encode import MP3_SAMPLE_RATES, encode_audio
from .formats import AudioContainer, sniff_container
from .limits import MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, AudioLimits
from .probe import probe_audio
from .transform import downmix_to_mono, resample

__all__ = [
    "MAX_CHANNELS",
    "MAX_SAMPLE_RATE",
    "MIN_SAMPLE_RATE",
    "MP3_SAMPLE_RATES",
    "AudioContainer",
    "AudioInfo",
    "AudioLimits",
    "DecodedAudio",
    "check_header",
    "check_size",
    "decode_audio",
    "decode_base64_audio",
    "decode_to_mono",
    "downmix_to_mono",
    "encode_audio",
    "probe_audio",
    "resample",
    "sniff_container",
]
