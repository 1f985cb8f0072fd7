"""Transliteration with indic-transliteration: language id -> script scheme, then sanscript.transliterate.

Sentence level (the default): one rendering per input row. Word level (optional `IS_WORD_LEVEL` true, with
`TOP_K` candidates): up to TOP_K renderings of each input word, best first, padded with empty strings so every
row of a request has TOP_K columns. The engine is rule-based, so its candidates are readings, not guesses:
- Latin to an Indic script: the ITRANS reading without and with a word-final virama (Indic languages drop the
  final schwa: "bharat" is भरत, not भरत्), then the same with each short vowel lengthened in turn (भारत...);
- an Indic script to Latin: the word in ITRANS, then in the other common romanisations (IAST, Harvard-Kyoto,
  Velthuis, OPTITRANS);
- between two Indic scripts: the one rendering (the mapping is deterministic).
"""

import json

import numpy as np
import triton_python_backend_utils as pb_utils
from indic_transliteration import sanscript

LATIN = "itrans"
ROMANISATIONS = ("itrans", "iast", "hk", "velthuis", "optitrans")
VIRAMA = "\u094d"  # Devanagari; other scripts' viramas are found through their own scheme below
SHORT_TO_LONG = {"a": "aa", "i": "ii", "u": "uu"}


def _virama_of(scheme: str) -> str:
    return sanscript.transliterate(VIRAMA, sanscript.DEVANAGARI, scheme)


def _without_final_virama(text: str, virama: str) -> str:
    return text[: -len(virama)] if virama and text.endswith(virama) else text


def _lengthened(word: str) -> list[str]:
    """`word` with one short vowel lengthened, for each short vowel in turn (left to right)."""
    variants = []
    for index, char in enumerate(word):
        before, after = word[index - 1 : index], word[index + 1 : index + 2]
        # a short vowel only: not already doubled ("aa"), not part of "ai"/"au"
        if char in SHORT_TO_LONG and before != char and after != char and not (char == "a" and after in "iu"):
            variants.append(word[:index] + SHORT_TO_LONG[char] + word[index + 1 :])
    return variants


def word_candidates(word: str, source_scheme: str, target_scheme: str, top_k: int) -> list[str]:
    """Up to `top_k` distinct renderings of one word, best first."""
    found: list[str] = []

    def add(text: str) -> None:
        if text and text not in found:
            found.append(text)

    if source_scheme == LATIN:
        virama = _virama_of(target_scheme)
        for reading in (word, *_lengthened(word)):
            rendered = sanscript.transliterate(reading, source_scheme, target_scheme)
            add(_without_final_virama(rendered, virama))
            add(rendered)
    elif target_scheme == LATIN:
        for scheme in ROMANISATIONS:
            add(sanscript.transliterate(word, source_scheme, scheme))
    else:
        add(sanscript.transliterate(word, source_scheme, target_scheme))
    return found[:top_k]


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.scripts = json.loads(config["parameters"]["scripts"]["string_value"])

    def _one(self, request):
        texts = pb_utils.get_input_tensor_by_name(request, "INPUT_TEXT").as_numpy().reshape(-1)
        sources = pb_utils.get_input_tensor_by_name(request, "INPUT_LANGUAGE_ID").as_numpy().reshape(-1)
        targets = pb_utils.get_input_tensor_by_name(request, "OUTPUT_LANGUAGE_ID").as_numpy().reshape(-1)
        word_level = pb_utils.get_input_tensor_by_name(request, "IS_WORD_LEVEL")
        top_k = pb_utils.get_input_tensor_by_name(request, "TOP_K")
        is_word_level = bool(word_level.as_numpy().reshape(-1)[0]) if word_level is not None else False
        k = max(1, int(top_k.as_numpy().reshape(-1)[0])) if top_k is not None else 1
        rows = []
        for text, src, tgt in zip(texts, sources, targets, strict=True):
            src_scheme, tgt_scheme = self.scripts.get(src.decode()), self.scripts.get(tgt.decode())
            if src_scheme is None or tgt_scheme is None or src.decode() == tgt.decode():
                raise ValueError(f"unsupported transliteration pair {src.decode()!r}->{tgt.decode()!r}")
            if is_word_level:
                rows.append(word_candidates(text.decode().strip(), src_scheme, tgt_scheme, k))
            else:
                rows.append([sanscript.transliterate(text.decode(), src_scheme, tgt_scheme)])
        width = max(len(row) for row in rows) if is_word_level else 1
        out = [[item.encode() for item in row] + [b""] * (width - len(row)) for row in rows]
        return pb_utils.InferenceResponse(
            output_tensors=[pb_utils.Tensor("OUTPUT_TEXT", np.array(out, dtype=object).reshape(len(rows), width))]
        )

    def execute(self, requests):
        responses = []
        for request in requests:
            try:
                responses.append(self._one(request))
            except ValueError as exc:
                responses.append(
                    pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc), pb_utils.TritonError.INVALID_ARG))
                )
        return responses
