"""Every size limit a request is checked against, in one place.

The numbers follow from API Gateway's limits (10 MB REST body, 29 s integration timeout) and from what one
synchronous inference call can answer in that time. Batch jobs (S3 drop) are not bound by these: they
have their own limits in the job settings.
"""

from __future__ import annotations

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
