"""Learn format, rate, channels and length of encoded audio from its header, decoding nothing."""

from __future__ import annotations

import io

import soundfile as sf

from speech_core.errors import AudioError, ErrorCode

from .audio_info import AudioInfo
from .formats import AudioContainer, sniff_container
from .wav_header import WavHeader, read_wav_header


def corrupt_error(container: AudioContainer, exc: Exception) -> AudioError:
    """AUDIO_CORRUPT for a container libsndfile could not read."""
    return AudioError(
        ErrorCode.AUDIO_CORRUPT,
        f"The {container.value.upper()} audio is corrupt or truncated and cannot be read.",
        details={"format": container.value, "reason": str(exc).splitlines()[0][:200] if str(exc) else ""},
    )


def probe_with_header(data: bytes) -> tuple[AudioInfo, WavHeader | None]:
    """Like `probe_audio`, also returning the raw WAV header (None for other containers)."""
    if not data:
        raise AudioError(ErrorCode.AUDIO_EMPTY, "Audio is empty (0 bytes).")
    container = sniff_container(data)
    header: WavHeader | None = None
    if container is AudioContainer.WAV:
        header = read_wav_header(data)
        if header.declared_frames is not None:
            # Trust the header, not libsndfile, which clamps a size that overruns the file (see wav_header).
            info = AudioInfo(container, header.sample_rate, header.channels, header.declared_frames)
            return info, header
    try:
        with sf.SoundFile(io.BytesIO(data)) as sound:
            info = AudioInfo(container, int(sound.samplerate), int(sound.channels), max(int(sound.frames), 0))
    except (sf.LibsndfileError, RuntimeError, ValueError) as exc:
        raise corrupt_error(container, exc) from exc
    return info, header


def probe_audio(data: bytes) -> AudioInfo:
    """Header facts about `data` (any supported container), without decoding samples.

    Raises AUDIO_EMPTY, AUDIO_UNSUPPORTED_FORMAT or AUDIO_CORRUPT (header unreadable).
    """
    return probe_with_header(data)[0]
