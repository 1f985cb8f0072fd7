"""Batched rule-based translation with apertium.

All sentences for one language pair in a batch are translated by a single `apertium -u <mode>` run, one
sentence per line (newlines inside a sentence are folded to spaces so lines stay aligned). `-u` drops
apertium's unknown-word marks.
"""

import json
import subprocess
from collections import defaultdict

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config["parameters"].items()}
        self.pairs = json.loads(params["pairs"])
        self.max_chars = int(params["max_text_chars"])

    def _translate(self, mode: str, sentences: list[str]) -> list[str]:
        text = "\n".join(" ".join(s.split()) for s in sentences) + "\n"
        done = subprocess.run(
            ["apertium", "-u", mode], input=text.encode(), capture_output=True, timeout=120, check=True
        )
        lines = done.stdout.decode().split("\n")[: len(sentences)]
        if len(lines) != len(sentences):
            raise RuntimeError(f"apertium returned {len(lines)} lines for {len(sentences)} sentences")
        return [line.strip() for line in lines]

    def execute(self, requests):
        errors: dict[int, pb_utils.TritonError] = {}
        rows: dict[int, list[str | None]] = {}
        work: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
        for r, request in enumerate(requests):
            texts = pb_utils.get_input_tensor_by_name(request, "INPUT_TEXT").as_numpy().reshape(-1)
            sources = pb_utils.get_input_tensor_by_name(request, "INPUT_LANGUAGE_ID").as_numpy().reshape(-1)
            targets = pb_utils.get_input_tensor_by_name(request, "OUTPUT_LANGUAGE_ID").as_numpy().reshape(-1)
            rows[r] = [None] * len(texts)
            for i, (text, src, tgt) in enumerate(zip(texts, sources, targets, strict=True)):
                pair = f"{src.decode()}-{tgt.decode()}"
                if pair not in self.pairs:
                    errors[r] = pb_utils.TritonError(
                        f"unsupported language pair {pair!r}", pb_utils.TritonError.INVALID_ARG
                    )
                elif len(text) > self.max_chars:
                    errors[r] = pb_utils.TritonError(
                        f"text longer than {self.max_chars} characters", pb_utils.TritonError.INVALID_ARG
                    )
                else:
                    work[self.pairs[pair]].append((r, i, text.decode()))
        for mode, items in work.items():
            items = [item for item in items if item[0] not in errors]
            if not items:
                continue
            try:
                translated = self._translate(mode, [text for _, _, text in items])
            except (subprocess.SubprocessError, OSError, RuntimeError) as exc:
                for r, _, _ in items:
                    errors[r] = pb_utils.TritonError(f"apertium {mode} failed: {exc}")
                continue
            for (r, i, _), target in zip(items, translated, strict=True):
                rows[r][i] = target
        responses = []
        for r in range(len(requests)):
            if r in errors:
                responses.append(pb_utils.InferenceResponse(error=errors[r]))
            else:
                out = np.array([t.encode() for t in rows[r]], dtype=object).reshape(-1, 1)
                responses.append(pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("OUTPUT_TEXT", out)]))
        return responses
