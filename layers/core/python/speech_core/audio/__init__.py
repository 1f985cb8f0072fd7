"""Audio in and out: base64 → bytes → probe → decode → mono → resample, and encode back.

Importable without network or database. Bad input raises `speech_core.errors.AudioError` with a stable
code; limits come from the caller as an `AudioLimits`.
"""

from typing import TYPE_CHECKING

from speech_core.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from .audio_info import AudioInfo
    from .base64_input import decode_base64_audio
    from .decode import check_header, check_size, decode_audio, decode_to_mono
    from .decoded_audio import DecodedAudio
    from .encode import MP3_SAMPLE_RATES, encode_audio
    from .formats import AudioContainer, sniff_container
    from .limits import MAX_CHANNELS, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, AudioLimits
    from .probe import probe_audio
    from .transform import downmix_to_mono, resample

#: module -> the names it exports here; each is imported on first access (PEP 562), so reading base64 or a limit
#: does not load numpy, soundfile and soxr (the uploads function never decodes audio)
_EXPORTS: dict[str, tuple[str, ...]] = {
    "audio_info": ("AudioInfo",),
    "base64_input": ("decode_base64_audio",),
    "decode": ("check_header", "check_size", "decode_audio", "decode_to_mono"),
    "decoded_audio": ("DecodedAudio",),
    "encode": ("MP3_SAMPLE_RATES", "encode_audio"),
    "formats": ("AudioContainer", "sniff_container"),
    "limits": ("MAX_CHANNELS", "MAX_SAMPLE_RATE", "MIN_SAMPLE_RATE", "AudioLimits"),
    "probe": ("probe_audio",),
    "transform": ("downmix_to_mono", "resample"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}


__getattr__ = lazy_getattr(__name__, _MODULE_OF, globals())


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
