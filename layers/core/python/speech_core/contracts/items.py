"""The items a request carries (`audio[]`, `input[]`) and the items a response returns."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from .limits import AUDIO_URI_SCHEMES, MAX_AUDIO_CONTENT_CHARS, MAX_AUDIO_URI_CHARS, MAX_TEXT_CHARS
from .wire_model import WireModel


def _check_text(text: str) -> str:
    if not text.strip():
        raise PydanticCustomError("text_empty", "Text is empty.")
    if len(text) > MAX_TEXT_CHARS:
        raise PydanticCustomError(
            "text_too_long",
            "Text has {length} characters; at most {limit} are accepted per item.",
            {"length": len(text), "limit": MAX_TEXT_CHARS},
        )
    return text


#: one text input: not blank, at most MAX_TEXT_CHARS characters
InputText = Annotated[str, AfterValidator(_check_text)]


class TextInput(WireModel):
    """`input[]` item: `{"source": "text"}`."""

    source: InputText


_ONE_SOURCE = "Give exactly one of audioContent or audioUri:"


class AudioInput(WireModel):
    """`audio[]` item: exactly one of `audioContent` (base64) or `audioUri` (http, https or s3).

    `audioContent` is at most MAX_AUDIO_CONTENT_CHARS characters; its bytes are checked when decoded
    (speech_core.audio). Fetching an `audioUri` is the handler's job, with the tenant's permissions.
    """

    audio_content: str | None = None
    audio_uri: str | None = Field(default=None, max_length=MAX_AUDIO_URI_CHARS)

    @model_validator(mode="after")
    def _exactly_one_source(self) -> AudioInput:
        has_content, has_uri = bool(self.audio_content), bool(self.audio_uri)
        if has_content and has_uri:
            raise PydanticCustomError("audio_source", _ONE_SOURCE + " both given.")
        if not has_content and not has_uri:
            if self.audio_content == "":
                raise PydanticCustomError("audio_empty", "audioContent is empty.")
            raise PydanticCustomError("audio_source", _ONE_SOURCE + " neither given.")
        if self.audio_content is not None and len(self.audio_content) > MAX_AUDIO_CONTENT_CHARS:
            raise PydanticCustomError(
                "audio_too_large",
                "audioContent has {length} characters; at most {limit} are accepted.",
                {"length": len(self.audio_content), "limit": MAX_AUDIO_CONTENT_CHARS},
            )
        if self.audio_uri is not None:
            parts = urlsplit(self.audio_uri)
            if parts.scheme.lower() not in AUDIO_URI_SCHEMES or not parts.netloc:
                raise PydanticCustomError(
                    "audio_uri",
                    "audioUri must be an absolute {schemes} URI.",
                    {"schemes": "/".join(AUDIO_URI_SCHEMES)},
                )
        return self


class AudioOutput(WireModel):
    """`audio[]` item of a TTS response: base64 audio in the config's format and rate (`audioContent`),
    or, when the request asked for `audioDelivery: "url"`, a presigned HTTPS link to it (`audioUri`)."""

    audio_content: str | None = None
    audio_uri: str | None = None


class Segment(WireModel):
    """A timed stretch of a transcript: seconds from the start of that audio item."""

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    confidence: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Segment:
        if self.end < self.start:
            raise ValueError(f"segment ends ({self.end}) before it starts ({self.start})")
        return self
