"""TTS with espeak-ng: one `espeak-ng --stdout` run per text, 16-bit WAV parsed to FP32.

The version directory decides the speaking rate (`speaking_rate_wpm_v<version>` in config.pbtxt), which is
what the registry's A/B split chooses between. Version 2's model.py is a link to this file.
"""

import json
import struct
import subprocess

import numpy as np
import triton_python_backend_utils as pb_utils


def parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """16-bit PCM WAV bytes -> (float32 samples, sample rate). espeak-ng's streamed header has no sizes."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("espeak-ng did not return a WAV stream")
    sample_rate = struct.unpack("<I", data[24:28])[0]
    start = data.index(b"data", 12) + 8
    pcm = np.frombuffer(data[start : start + (len(data) - start) // 2 * 2], dtype="<i2")
    return pcm.astype(np.float32) / 32768.0, sample_rate


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config["parameters"].items()}
        self.voices = json.loads(params["voices"])
        self.variants = json.loads(params["variants"])
        self.rate = int(params[f"speaking_rate_wpm_v{args['model_version']}"])
        self.max_chars = int(params["max_text_chars"])

    def _synthesize(self, text: str, gender: str, lang: str) -> tuple[np.ndarray, int]:
        voice = f"{self.voices[lang]}+{self.variants[gender]}"
        # Text goes through stdin so nothing in it is read as an option.
        done = subprocess.run(
            ["espeak-ng", "--stdout", "-v", voice, "-s", str(self.rate)],
            input=text.encode(),
            capture_output=True,
            timeout=60,
            check=True,
        )
        return parse_wav(done.stdout)

    def _one(self, request):
        texts = pb_utils.get_input_tensor_by_name(request, "INPUT_TEXT").as_numpy().reshape(-1)
        genders = pb_utils.get_input_tensor_by_name(request, "INPUT_SPEAKER_ID").as_numpy().reshape(-1)
        langs = pb_utils.get_input_tensor_by_name(request, "INPUT_LANGUAGE_ID").as_numpy().reshape(-1)
        audios, rates = [], []
        for raw_text, raw_gender, raw_lang in zip(texts, genders, langs, strict=True):
            text, gender, lang = raw_text.decode(), raw_gender.decode().lower(), raw_lang.decode()
            if lang not in self.voices:
                raise ValueError(f"unsupported language {lang!r}")
            if gender not in self.variants:
                raise ValueError(f"unsupported speaker {gender!r}; use one of {sorted(self.variants)}")
            if not text.strip() or len(text) > self.max_chars:
                raise ValueError(f"text must have 1..{self.max_chars} characters")
            audio, rate = self._synthesize(text, gender, lang)
            audios.append(audio)
            rates.append(rate)
        longest = max(a.size for a in audios)
        padded = np.zeros((len(audios), longest), dtype=np.float32)
        for i, audio in enumerate(audios):
            padded[i, : audio.size] = audio
        return pb_utils.InferenceResponse(
            output_tensors=[
                pb_utils.Tensor("OUTPUT_GENERATED_AUDIO", padded),
                pb_utils.Tensor("OUTPUT_NUM_SAMPLES", np.array([[a.size] for a in audios], dtype=np.int32)),
                pb_utils.Tensor("OUTPUT_SAMPLE_RATE", np.array([[r] for r in rates], dtype=np.int32)),
            ]
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
            except (subprocess.SubprocessError, OSError) as exc:
                responses.append(pb_utils.InferenceResponse(error=pb_utils.TritonError(f"espeak-ng failed: {exc}")))
        return responses
