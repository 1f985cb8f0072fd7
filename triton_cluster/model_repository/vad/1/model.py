"""Silero VAD on onnxruntime, without torch.

Runs the ONNX model over 512-sample windows (with the 64-sample context the v5+ model expects), then turns
speech probabilities into segments after silero-vad's `get_speech_timestamps`: enter speech at `threshold`,
leave below `threshold - 0.15` once silence lasts `min_silence_ms`, drop segments shorter than
`min_speech_ms`, cut segments longer than `max_segment_s`, pad each side by `speech_pad_ms`.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import onnxruntime
import triton_python_backend_utils as pb_utils

SAMPLE_RATE = 16000
WINDOW = 512
CONTEXT = 64


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {k: float(v["string_value"]) for k, v in config["parameters"].items()}
        self.threshold = params["threshold"]
        self.neg_threshold = max(self.threshold - 0.15, 0.01)
        self.min_silence = int(params["min_silence_ms"] * SAMPLE_RATE / 1000)
        self.pad = int(params["speech_pad_ms"] * SAMPLE_RATE / 1000)
        self.min_speech = int(params["min_speech_ms"] * SAMPLE_RATE / 1000)
        self.max_segment = int(params["max_segment_s"] * SAMPLE_RATE)
        options = onnxruntime.SessionOptions()
        options.inter_op_num_threads = 1
        options.intra_op_num_threads = 1
        # find_spec locates the package without importing it (its __init__ imports torch, not installed)
        package_dir = Path(importlib.util.find_spec("silero_vad").submodule_search_locations[0])
        model_file = package_dir / "data" / "silero_vad.onnx"
        self.session = onnxruntime.InferenceSession(
            str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
        )

    def probabilities(self, audio: np.ndarray) -> np.ndarray:
        """Speech probability for each 512-sample window (32 ms)."""
        padded = np.zeros(-(-audio.size // WINDOW) * WINDOW, dtype=np.float32)
        padded[: audio.size] = audio
        state = np.zeros((2, 1, 128), dtype=np.float32)
        context = np.zeros((1, CONTEXT), dtype=np.float32)
        sr = np.array(SAMPLE_RATE, dtype=np.int64)
        probs = np.empty(padded.size // WINDOW, dtype=np.float32)
        for i in range(probs.size):
            window = np.concatenate([context, padded[None, i * WINDOW : (i + 1) * WINDOW]], axis=1)
            out, state = self.session.run(None, {"input": window, "state": state, "sr": sr})
            probs[i] = out[0, 0]
            context = window[:, -CONTEXT:]
        return probs

    def segments(self, audio: np.ndarray) -> list[dict]:
        probs = self.probabilities(audio)
        raw: list[list[int]] = []
        start = None
        silence_from = None
        for i, p in enumerate(probs):
            at = i * WINDOW
            if start is None:
                if p >= self.threshold:
                    start, silence_from = at, None
                continue
            if p >= self.threshold:
                silence_from = None
            elif p < self.neg_threshold:
                silence_from = at if silence_from is None else silence_from
                if at - silence_from >= self.min_silence:
                    raw.append([start, silence_from])
                    start, silence_from = None, None
                    continue
            if at - start >= self.max_segment:
                raw.append([start, at])
                start, silence_from = at, None
        if start is not None:
            raw.append([start, audio.size])
        kept = [s for s in raw if s[1] - s[0] >= self.min_speech]
        out = []
        for k, (s, e) in enumerate(kept):
            lo = max(0, s - self.pad) if k == 0 else max(s - self.pad, (kept[k - 1][1] + s) // 2)
            hi = min(audio.size, e + self.pad) if k == len(kept) - 1 else min(e + self.pad, (e + kept[k + 1][0]) // 2)
            out.append({"start": round(lo / SAMPLE_RATE, 3), "end": round(hi / SAMPLE_RATE, 3)})
        return out

    def execute(self, requests):
        responses = []
        for request in requests:
            audio = pb_utils.get_input_tensor_by_name(request, "AUDIO_SIGNAL").as_numpy()
            lengths = pb_utils.get_input_tensor_by_name(request, "NUM_SAMPLES").as_numpy().reshape(-1)
            found = [
                json.dumps(self.segments(row[: int(n)].astype(np.float32))).encode()
                for row, n in zip(audio, lengths, strict=True)
            ]
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[pb_utils.Tensor("SEGMENTS", np.array(found, dtype=object).reshape(-1, 1))]
                )
            )
        return responses
