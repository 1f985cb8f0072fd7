"""Every size limit a request is checked against, in one place.

The numbers follow from API Gateway's limits (10 MB REST body, 29 s integration timeout) and from what one
synchronous inference call can answer in that time. Batch jobs (S3 drop) are not bound by these: they
have their own limits in the job settings.
"""

from __future__ import annotations

#: seconds API Gateway REST waits for a function (its integration timeout); past it the client has a 504
GATEWAY_TIMEOUT_S = 29.0
#: audio items in one sync ASR request (or a pipeline's inputData.audio)
MAX_AUDIO_ITEMS = 4
#: characters of one base64 `audioContent`; API Gateway refuses bodies over 10 MB anyway
MAX_AUDIO_CONTENT_CHARS = 10_000_000
#: characters of one `audioUri`
MAX_AUDIO_URI_CHARS = 2_048
#: URI schemes an `audioUri` may use (s3:// only for buckets the tenant may read; checked by the handler)
AUDIO_URI_SCHEMES = ("http", "https", "s3")
#: characters of one text item (`input[].source`) for TTS, translation, transliteration and language id
MAX_TEXT_CHARS = 5_000
#: text items in one TTS request
MAX_TTS_ITEMS = 16
#: text items in one translation request (the Triton model's max batch size)
MAX_TRANSLATION_BATCH = 64
#: text items in one transliteration request
MAX_TRANSLITERATION_ITEMS = 64
#: text items in one language-id request
MAX_LANGUAGE_ID_ITEMS = 64
#: suggestions a transliteration may ask for (`numSuggestions`)
MAX_TRANSLITERATION_SUGGESTIONS = 10
#: n-best alternatives per word an ASR request may ask for (`bestTokenCount`)
MAX_BEST_TOKEN_COUNT = 10
#: tasks in one pipeline (asr → transliteration → translation → tts is four)
MAX_PIPELINE_TASKS = 5
#: characters of a `serviceId`
MAX_SERVICE_ID_CHARS = 256
#: accepted `samplingRate` values, in Hz, inclusive (telephone 8 kHz up to studio 192 kHz)
MIN_SAMPLE_RATE = 8_000
MAX_SAMPLE_RATE = 192_000

# --- the request body, before any model sees it (checked by `parsing.read_json_object`) --------------------------
#: bytes of one request body: API Gateway's REST payload limit (10 MB); over it, 413 `request.too_large`
MAX_BODY_BYTES = 10 * 1024 * 1024
#: nesting of objects and arrays in a body (the deepest valid request, a pipeline, nests 6)
MAX_JSON_DEPTH = 32
#: objects and arrays in a body (the largest valid request, 64 translation items, has about 70)
MAX_JSON_CONTAINERS = 10_000
#: characters of one number literal (no field needs more than 20; int() of 4 301 digits raises)
MAX_JSON_NUMBER_CHARS = 100
