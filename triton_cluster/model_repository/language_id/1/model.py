"""Text language id with pycld2: the top language, the percentage of text it covers and cld2's reliability."""

import numpy as np
import pycld2
import triton_python_backend_utils as pb_utils


def detect(text: str) -> tuple[str, float, bool]:
    try:
        reliable, _, details = pycld2.detect(text)
    except pycld2.error:  # invalid UTF-8 and the like: undetermined, not a server error
        return "und", 0.0, False
    _, code, percent, _ = details[0]
    if code in ("un", "xxx"):
        return "und", 0.0, False
    return code, percent / 100.0, bool(reliable)


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            texts = pb_utils.get_input_tensor_by_name(request, "INPUT_TEXT").as_numpy().reshape(-1)
            found = [detect(t.decode("utf-8", errors="replace")) for t in texts]
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[
                        pb_utils.Tensor(
                            "OUTPUT_LANGUAGE_ID", np.array([[c.encode()] for c, _, _ in found], dtype=object)
                        ),
                        pb_utils.Tensor("CONFIDENCE", np.array([[p] for _, p, _ in found], dtype=np.float32)),
                        pb_utils.Tensor("IS_RELIABLE", np.array([[r] for _, _, r in found], dtype=bool)),
                    ]
                )
            )
        return responses
