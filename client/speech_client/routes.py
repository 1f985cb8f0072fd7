"""Each API route as a `Request`: the HTTP call to make and how to read its answer.

The sync and asyncio clients share these, so a route is described once; they differ only in how they send.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from pydantic import BaseModel

from .models import (
    AsrResult,
    Job,
    JobList,
    LanguageIdResult,
    ModelList,
    PipelineResult,
    TranslationResult,
    TransliterationResult,
    TtsResult,
    Upload,
    Usage,
)
from .transport import Call

#: bytes per chunk of an upload; the progress callback is called after each
UPLOAD_CHUNK_BYTES = 256 * 1024

AudioSource = bytes | str | os.PathLike[str]
AsrFormat = Literal["transcript", "srt", "webvtt"]
#: (bytes sent, total bytes)
UploadProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Request[T]:
    call: Call
    parse: Callable[[httpx.Response], T]


def _model[M: BaseModel](model: type[M]) -> Callable[[httpx.Response], M]:
    return lambda response: model.model_validate(response.json())


def _nothing(response: httpx.Response) -> None:
    return None


def _texts(texts: str | Iterable[str]) -> list[dict[str, str]]:
    return [{"source": texts}] if isinstance(texts, str) else [{"source": text} for text in texts]


def audio_bytes(audio: AudioSource) -> bytes:
    return audio if isinstance(audio, bytes) else Path(audio).read_bytes()


def _control(data_tracking: bool | None) -> dict[str, Any]:
    return {} if data_tracking is None else {"controlConfig": {"dataTracking": data_tracking}}


def recognize(
    audio: AudioSource | None = None,
    language: str = "en",
    *,
    audio_uri: str | None = None,
    transcription_format: AsrFormat = "transcript",
    vad: bool = False,
    post_processors: Sequence[str] = (),
    data_tracking: bool | None = None,
) -> Request[AsrResult]:
    """POST /v1/asr: one recording (bytes, a path, or an `audio_uri` from an upload) to text."""
    if (audio is None) == (audio_uri is None):
        raise ValueError("pass either audio (bytes or a path) or audio_uri")
    item = (
        {"audioUri": audio_uri}
        if audio_uri is not None
        else {"audioContent": base64.b64encode(audio_bytes(audio)).decode()}  # type: ignore[arg-type]
    )
    config: dict[str, Any] = {
        "language": {"sourceLanguage": language},
        "transcriptionFormat": {"value": transcription_format},
        "preProcessors": ["vad"] if vad else [],
        "postProcessors": list(post_processors),
    }
    body = {"audio": [item], "config": config, **_control(data_tracking)}
    return Request(Call("POST", "v1/asr", json=body, idempotent=True), _model(AsrResult))


def synthesize(
    texts: str | Iterable[str],
    language: str,
    *,
    gender: Literal["male", "female"] = "female",
    audio_format: str = "wav",
    sampling_rate: int | None = None,
    data_tracking: bool | None = None,
) -> Request[TtsResult]:
    """POST /v1/tts: text (one item or several) to speech, returned inline."""
    config: dict[str, Any] = {"language": {"sourceLanguage": language}, "gender": gender, "audioFormat": audio_format}
    if sampling_rate is not None:
        config["samplingRate"] = sampling_rate
    body = {"input": _texts(texts), "config": config, **_control(data_tracking)}
    return Request(Call("POST", "v1/tts", json=body, idempotent=True), _model(TtsResult))


def translate(texts: str | Iterable[str], source: str, target: str) -> Request[TranslationResult]:
    """POST /v1/nmt: sentences from one language to another."""
    body = {"input": _texts(texts), "config": {"language": {"sourceLanguage": source, "targetLanguage": target}}}
    return Request(Call("POST", "v1/nmt", json=body, idempotent=True), _model(TranslationResult))


def transliterate(
    texts: str | Iterable[str], source: str, target: str, *, is_sentence: bool = True, num_suggestions: int = 5
) -> Request[TransliterationResult]:
    """POST /v1/transliterate: text between scripts."""
    config = {
        "language": {"sourceLanguage": source, "targetLanguage": target},
        "isSentence": is_sentence,
        "numSuggestions": num_suggestions,
    }
    body = {"input": _texts(texts), "config": config}
    return Request(Call("POST", "v1/transliterate", json=body, idempotent=True), _model(TransliterationResult))


def detect_language(texts: str | Iterable[str]) -> Request[LanguageIdResult]:
    """POST /v1/detect-language: the language of each text."""
    body = {"input": _texts(texts), "config": {}}
    return Request(Call("POST", "v1/detect-language", json=body, idempotent=True), _model(LanguageIdResult))


def pipeline(
    tasks: Sequence[dict[str, Any]],
    *,
    texts: str | Iterable[str] | None = None,
    audio: AudioSource | None = None,
) -> Request[PipelineResult]:
    """POST /v1/pipeline: `tasks` are ULCA `pipelineTasks` ({"taskType": "asr", "config": {...}}), chained."""
    input_data: dict[str, Any] = {}
    if texts is not None:
        input_data["input"] = _texts(texts)
    if audio is not None:
        input_data["audio"] = [{"audioContent": base64.b64encode(audio_bytes(audio)).decode()}]
    body = {"pipelineTasks": list(tasks), "inputData": input_data}
    return Request(Call("POST", "v1/pipeline", json=body, idempotent=True), _model(PipelineResult))


def models() -> Request[ModelList]:
    return Request(Call("GET", "v1/models", idempotent=True), _model(ModelList))


def usage(since: str | None = None, until: str | None = None) -> Request[Usage]:
    """GET /v1/usage; `since`/`until` are ISO dates (the API's `from`/`to`)."""
    params = {k: v for k, v in (("from", since), ("to", until)) if v}
    return Request(Call("GET", "v1/usage", params=params or None, idempotent=True), _model(Usage))


def health() -> Request[dict[str, Any]]:
    return Request(Call("GET", "v1/health", idempotent=True), lambda response: dict(response.json()))


# --- uploads and jobs -------------------------------------------------------------------------------------------
def create_upload(file_name: str, content_type: str | None = None) -> Request[Upload]:
    body = {"fileName": file_name, **({"contentType": content_type} if content_type else {})}
    # a repeated ticket is only a second presigned URL, never used
    return Request(Call("POST", "v1/uploads", json=body, idempotent=True), _model(Upload))


def content_type_of(path: Path) -> str:
    return {
        ".wav": "audio/wav",
        ".flac": "audio/flac",
        ".ogg": "audio/ogg",
        ".mp3": "audio/mpeg",
    }.get(path.suffix.lower(), "application/octet-stream")


def put_upload(upload: Upload, path: Path, progress: UploadProgress | None = None) -> Request[None]:
    """The PUT of `path` to the presigned URL, read in chunks, calling `progress(sent, total)` as it goes."""
    total = path.stat().st_size

    def chunks() -> Iterator[bytes]:
        sent = 0
        if progress:
            progress(0, total)
        with path.open("rb") as file:
            while chunk := file.read(UPLOAD_CHUNK_BYTES):
                yield chunk
                sent += len(chunk)
                if progress:
                    progress(sent, total)

    headers = {**upload.headers, "content-length": str(total)}
    return Request(Call("PUT", upload.upload_url, content=chunks, headers=headers, idempotent=True), _nothing)


def create_job(
    audio_uri: str,
    language: str = "en",
    *,
    output_formats: Sequence[str] | None = None,
    max_chars_per_line: int | None = None,
    lines_per_cue: int | None = None,
    webhook_url: str | None = None,
    pre_processors: Sequence[str] = (),
    post_processors: Sequence[str] = (),
    idempotency_key: str | None = None,
) -> Request[Job]:
    """POST /v1/jobs. Always sends an idempotency key (a fresh one unless given), so it is safe to retry."""
    body: dict[str, Any] = {
        "audioUri": audio_uri,
        "config": {
            "language": {"sourceLanguage": language},
            "preProcessors": list(pre_processors),
            "postProcessors": list(post_processors),
        },
        "idempotencyKey": idempotency_key or f"speech-client-{uuid.uuid4().hex}",
    }
    if output_formats:
        body["outputFormats"] = list(output_formats)
    subtitles = {
        k: v for k, v in (("maxCharsPerLine", max_chars_per_line), ("linesPerCue", lines_per_cue)) if v is not None
    }
    if subtitles:
        body["subtitles"] = subtitles
    if webhook_url:
        body["webhook"] = {"url": webhook_url}
    return Request(Call("POST", "v1/jobs", json=body, idempotent=True), _model(Job))


def get_job(job_id: str) -> Request[Job]:
    return Request(Call("GET", f"v1/jobs/{job_id}", idempotent=True), _model(Job))


def list_jobs(state: str | None = None, limit: int = 20, cursor: str | None = None) -> Request[JobList]:
    params: dict[str, Any] = {"limit": limit}
    if state:
        params["state"] = state
    if cursor:
        params["cursor"] = cursor
    return Request(Call("GET", "v1/jobs", params=params, idempotent=True), _model(JobList))


def cancel_job(job_id: str) -> Request[Job]:
    return Request(Call("POST", f"v1/jobs/{job_id}/cancel"), _model(Job))


def retry_job(job_id: str) -> Request[Job]:
    return Request(Call("POST", f"v1/jobs/{job_id}/retry"), _model(Job))


def delete_job(job_id: str) -> Request[None]:
    return Request(Call("DELETE", f"v1/jobs/{job_id}", idempotent=True), _nothing)


def job_transcript(job_id: str, transcript_format: str = "json") -> Request[httpx.Response]:
    """GET /v1/jobs/{id}/transcript: the response itself (a 303 to a presigned link for a large transcript)."""
    call = Call("GET", f"v1/jobs/{job_id}/transcript", params={"format": transcript_format}, idempotent=True)
    return Request(call, lambda response: response)


def download(url: str) -> Request[bytes]:
    """GET a presigned link (a result, a large transcript): sent without the API key."""
    return Request(Call("GET", url, idempotent=True), lambda response: response.content)
