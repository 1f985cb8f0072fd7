"""Batch English ASR: pocketsphinx over whole utterances, with word timestamps and posteriors.

Each row of a request is decoded as one utterance with batch cepstral mean normalisation (the most accurate
mode), after resetting the decoder's CMN prior so the result never depends on earlier requests.
"""

import json
import re

import numpy as np
import triton_python_backend_utils as pb_utils
from pocketsphinx import Decoder

SAMPLE_RATE = 16000
# <s> </s> <sil> and [NOISE]-style fillers are not words; "read(2)" is the 2nd pronunciation of "read"
FILLER_PREFIXES = ("<", "[", "+")
PRONUNCIATION_VARIANT = re.compile(r"\(\d+\)$")


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.languages = set(config["parameters"]["languages"]["string_value"].split(","))
        self.decoder = Decoder(loglevel="ERROR")
        self.initial_cmn = self.decoder.get_cmn(False)
        self.frame_rate = int(self.decoder.config["frate"])

    def _decode(self, samples: np.ndarray) -> tuple[str, float, list[dict]]:
        pcm = np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)
        self.decoder.set_cmn(self.initial_cmn)
        self.decoder.start_utt()
        self.decoder.process_raw(pcm.tobytes(), False, True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        if hyp is None:
            return "", 0.0, []
        segments = [
            {
                "word": PRONUNCIATION_VARIANT.sub("", seg.word),
                "start": round(seg.start_frame / self.frame_rate, 3),
                "end": round((seg.end_frame + 1) / self.frame_rate, 3),
                "confidence": round(float(seg.prob), 4),
            }
            for seg in self.decoder.seg()
            if not seg.word.startswith(FILLER_PREFIXES)
        ]
        # mean word posterior: the whole-utterance posterior shrinks with length and says little
        confidence = sum(s["confidence"] for s in segments) / len(segments) if segments else 0.0
        return hyp.hypstr, confidence, segments

    def execute(self, requests):
        responses = []
        for request in requests:
            audio = pb_utils.get_input_tensor_by_name(request, "AUDIO_SIGNAL").as_numpy()
            lengths = pb_utils.get_input_tensor_by_name(request, "NUM_SAMPLES").as_numpy().reshape(-1)
            langs = pb_utils.get_input_tensor_by_name(request, "LANG_ID").as_numpy().reshape(-1)
            bad = [lang.decode() for lang in langs if lang.decode() not in self.languages]
            if bad:
                responses.append(
                    pb_utils.InferenceResponse(
                        error=pb_utils.TritonError(
                            f"unsupported language {bad[0]!r}; this model serves {sorted(self.languages)}",
                            pb_utils.TritonError.INVALID_ARG,
                        )
                    )
                )
                continue
            texts, confidences, segments = [], [], []
            for row, length in zip(audio, lengths, strict=True):
                text, confidence, segs = self._decode(row[: int(length)])
                texts.append(text.encode())
                confidences.append(confidence)
                segments.append(json.dumps(segs).encode())
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[
                        pb_utils.Tensor("TRANSCRIPTS", np.array(texts, dtype=object).reshape(-1, 1)),
                        pb_utils.Tensor("CONFIDENCE", np.array(confidences, dtype=np.float32).reshape(-1, 1)),
                        pb_utils.Tensor("SEGMENTS", np.array(segments, dtype=object).reshape(-1, 1)),
                    ]
                )
            )
        return responses
