"""Text normalization with NeMo's WFST grammars (nemo-text-processing on pynini), both directions.

One implementation serves two models, told apart by the `kind` parameter of their config.pbtxt:
- `text_normalization` (kind `tn`): written -> spoken, before TTS ("₹250 on 3 March" -> "two hundred and fifty
  rupees on the third of march");
- `itn` (kind `itn`): spoken -> written, on ASR output ("twenty five dollars" -> "$25").
`itn/1/model.py` is a relative symlink to this file, so there is one source. Every way the repository is
consumed reads through it: tritonserver on this folder (`make triton-up`, the tests), `shutil.copytree` and
`aws s3 sync`/`cp` (both copy the target's bytes: S3 gets a plain model.py for each model).

The grammars are compiled at set-up (`make setup-triton` runs `triton_cluster/text_grammars.py`) into one
FAR archive per kind and language, in a cache outside the clone keyed by the package versions. Loading only
reads those archives: a missing one fails the model load with the command that builds it, and nothing is
ever compiled here (English TN takes minutes to compile).
"""

import json
import os
from importlib import metadata
from pathlib import Path

import numpy as np
import pynini
import triton_python_backend_utils as pb_utils
from nemo_text_processing.text_normalization.normalize import Normalizer
from nemo_text_processing.text_normalization.token_parser import TokenParser

#: the grammar recipe of triton_cluster/text_grammars.py (RECIPE there) whose archives this model reads
RECIPE = "r1"


def grammar_folder() -> Path:
    """The cache `triton_cluster/text_grammars.py` writes (same rule: env override, then ~/.cache)."""
    configured = os.environ.get("SPEECH_GRAMMAR_CACHE")
    if configured:
        root = Path(configured)
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "speech-platform" / "nemo-grammars"
    nemo, pynini_version = metadata.version("nemo-text-processing"), metadata.version("pynini")
    return root / f"nemo-text-processing-{nemo}_pynini-{pynini_version}_{RECIPE}"


class _Graph:
    """What NeMo's Normalizer reads from its tagger, verbalizer and post-processor: an `fst` attribute."""

    def __init__(self, fst):
        self.fst = fst


class CompiledNormalizer(Normalizer):
    """NeMo's Normalizer (tag, parse, reorder, verbalize, post-process) over precompiled graphs only.

    Normalizer.__init__ would build the grammars from source; this constructor reads them from one archive
    instead, so the runtime path is NeMo's own `normalize()` with nothing compiled.
    """

    def __init__(self, archive: Path, language: str):  # noqa: D107 - NeMo's __init__ deliberately not called
        far = pynini.Far(str(archive), mode="r")
        graphs = {}
        while not far.done():
            graphs[far.get_key()] = far.get_fst()
            far.next()
        self.tagger = _Graph(graphs["tokenize_and_classify"])
        self.verbalizer = _Graph(graphs["verbalize"])
        self.post_processor = _Graph(graphs["post_process"]) if "post_process" in graphs else None
        self.parser = TokenParser()
        self.lang = language
        self.max_number_of_permutations_per_split = 729


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config["parameters"].items()}
        self.kind = params["kind"]
        self.max_chars = int(params["max_text_chars"])
        folder = grammar_folder()
        self.normalizers = {}
        for language in params["languages"].split(","):
            archive = folder / f"{self.kind}-{language}.far"
            if not archive.is_file():
                raise pb_utils.TritonModelException(
                    f"{archive} is missing: compile the grammars at set-up with `make setup-triton` "
                    "(.venvs/triton/bin/python -m triton_cluster.text_grammars compile)"
                )
            self.normalizers[language] = CompiledNormalizer(archive, language)

    def _convert(self, text: str, language: str) -> str:
        normalizer = self.normalizers.get(language)
        if normalizer is None:
            raise ValueError(f"{self.kind} is not available for language {language!r}; have {sorted(self.normalizers)}")
        if len(text) > self.max_chars:
            raise ValueError(f"text has {len(text)} characters; at most {self.max_chars}")
        if not text.strip():
            return text
        # NeMo returns the input unchanged where its grammars find no reading (and logs why)
        return normalizer.normalize(text, verbose=False, punct_pre_process=False, punct_post_process=False)

    def _one(self, request):
        texts = pb_utils.get_input_tensor_by_name(request, "INPUT_TEXT").as_numpy().reshape(-1)
        languages = pb_utils.get_input_tensor_by_name(request, "INPUT_LANGUAGE_ID").as_numpy().reshape(-1)
        out = [self._convert(t.decode(), lang.decode()).encode() for t, lang in zip(texts, languages, strict=True)]
        return pb_utils.InferenceResponse(
            output_tensors=[pb_utils.Tensor("OUTPUT_TEXT", np.array(out, dtype=object).reshape(-1, 1))]
        )

    def execute(self, requests):
        responses = []
        for request in requests:
            try:
                responses.append(self._one(request))
            except (ValueError, UnicodeDecodeError) as exc:
                responses.append(
                    pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc), pb_utils.TritonError.INVALID_ARG))
                )
        return responses
