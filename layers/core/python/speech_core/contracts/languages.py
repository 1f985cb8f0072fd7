"""Languages and scripts the platform knows, by ISO 639 and ISO 15924 code.

"Knows" means a request naming it is well formed; whether a model serves it is the model registry's
answer (LANGUAGE_UNSUPPORTED there too, with the served list). Codes are matched case-insensitively and
normalised: languages to lower case, scripts to title case (`deva` → `Deva`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

#: ISO 639-1 where one exists, else ISO 639-2/3 (as Dhruva and Bhashini send them)
LANGUAGES: dict[str, str] = {
    # the 22 languages of the Eighth Schedule
    "as": "Assamese",
    "bn": "Bengali",
    "brx": "Bodo",
    "doi": "Dogri",
    "gu": "Gujarati",
    "hi": "Hindi",
    "kn": "Kannada",
    "kok": "Konkani",
    "ks": "Kashmiri",
    "mai": "Maithili",
    "ml": "Malayalam",
    "mni": "Manipuri",
    "mr": "Marathi",
    "ne": "Nepali",
    "or": "Odia",
    "pa": "Punjabi",
    "sa": "Sanskrit",
    "sat": "Santali",
    "sd": "Sindhi",
    "ta": "Tamil",
    "te": "Telugu",
    "ur": "Urdu",
    # other languages of the region that Dhruva and the local engines (espeak-ng) name
    "gom": "Goan Konkani",
    "si": "Sinhala",
    # English and the languages the rule-based engines and language id reach
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "pt": "Portuguese",
    "ar": "Arabic",
}

#: ISO 15924 scripts used by the languages above
SCRIPTS: dict[str, str] = {
    "Arab": "Arabic",
    "Aran": "Arabic (Nastaliq)",
    "Beng": "Bengali-Assamese",
    "Deva": "Devanagari",
    "Gujr": "Gujarati",
    "Guru": "Gurmukhi",
    "Knda": "Kannada",
    "Latn": "Latin",
    "Mlym": "Malayalam",
    "Mtei": "Meitei Mayek",
    "Olck": "Ol Chiki",
    "Orya": "Odia",
    "Sinh": "Sinhala",
    "Taml": "Tamil",
    "Telu": "Telugu",
}

#: the script a language is written in when the request names none
DEFAULT_SCRIPTS: dict[str, str] = {
    "as": "Beng",
    "bn": "Beng",
    "brx": "Deva",
    "doi": "Deva",
    "gu": "Gujr",
    "hi": "Deva",
    "kn": "Knda",
    "kok": "Deva",
    "ks": "Aran",
    "mai": "Deva",
    "ml": "Mlym",
    "mni": "Mtei",
    "mr": "Deva",
    "ne": "Deva",
    "or": "Orya",
    "pa": "Guru",
    "sa": "Deva",
    "sat": "Olck",
    "sd": "Arab",
    "ta": "Taml",
    "te": "Telu",
    "ur": "Aran",
    "gom": "Deva",
    "si": "Sinh",
    "en": "Latn",
    "es": "Latn",
    "fr": "Latn",
    "de": "Latn",
    "pt": "Latn",
    "ar": "Arab",
}


def normalize_language(code: object) -> str:
    """The known language code for `code` (any case), or a `language_unsupported` validation error."""
    if isinstance(code, str) and code.strip().lower() in LANGUAGES:
        return code.strip().lower()
    raise PydanticCustomError(
        "language_unsupported",
        "Language code {code} is not an ISO 639 code the platform knows ({known}).",
        {"code": repr(code), "known": " ".join(LANGUAGES)},
    )


def normalize_script(code: object) -> str | None:
    """The ISO 15924 code for `code` (any case); None and "" (Dhruva's default) mean "not given"."""
    if code is None or code == "":
        return None
    if isinstance(code, str) and code.strip().title() in SCRIPTS:
        return code.strip().title()
    raise PydanticCustomError(
        "script_unsupported",
        "Script code {code} is not an ISO 15924 code the platform knows ({known}).",
        {"code": repr(code), "known": " ".join(SCRIPTS)},
    )


LanguageCode = Annotated[str, BeforeValidator(normalize_language)]
ScriptCode = Annotated[str | None, BeforeValidator(normalize_script)]
