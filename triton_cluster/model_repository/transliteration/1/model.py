"""Transliteration with indic-transliteration: language id -> script scheme, then sanscript.transliterate."""

import json

import numpy as np
import triton_python_backend_utils as pb_utils
from indic_transliteration import sanscript


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.scripts = json.loads(config["parameters"]["scripts"]["string_value"])

    def _one(self, request):
        texts = pb_utils.get_input_tensor_by_name(request, "INPUT_TEXT").as_numpy().reshape(-1)
        sources = pb_utils.get_input_tensor_by_name(request, "INPUT_LANGUAGE_ID").as_numpy().reshape(-1)
        targets = pb_utils.get_input_tensor_by_name(request, "OUTPUT_LANGUAGE_ID").as_numpy().reshape(-1)
        out = []
        for text, src, tgt in zip(texts, sources, targets, strict=True):
            src_scheme, tgt_scheme = self.scripts.get(src.decode()), self.scripts.get(tgt.decode())
            if src_scheme is None or tgt_scheme is None or src.decode() == tgt.decode():
                raise ValueError(f"unsupported transliteration pair {src.decode()!r}->{tgt.decode()!r}")
            out.append(sanscript.transliterate(text.decode(), src_scheme, tgt_scheme).encode())
        return pb_utils.InferenceResponse(
            output_tensors=[pb_utils.Tensor("OUTPUT_TEXT", np.array(out, dtype=object).reshape(-1, 1))]
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
