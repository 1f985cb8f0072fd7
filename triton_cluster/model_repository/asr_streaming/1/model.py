"""Stateful streaming English ASR on pocketsphinx.

State per sequence (correlation id): a live-mode decoder fed chunk by chunk (partials) and the utterance's
audio so far. At END the utterance is decoded again in batch mode, exactly as the `asr` model does, so the
streamed final equals the batch transcript (live mode's running CMN is less accurate on the first seconds).
END with the optional RETURN_AUDIO input true skips that second pass: the sequence closes at once and the
answer carries the utterance's audio (UTTERANCE_AUDIO), for the caller to transcribe with the `asr` model off
the live path (the WebSocket API does, so the next utterance's partials never wait behind a final).
Sequences that stop sending without END are evicted after `idle_eviction_seconds`.
"""

import json
import re
import time

import numpy as np
import triton_python_backend_utils as pb_utils
from pocketsphinx import Decoder

SAMPLE_RATE = 16000
# <s> </s> <sil> and [NOISE]-style fillers are not words; "read(2)" is the 2nd pronunciation of "read"
FILLER_PREFIXES = ("<", "[", "+")
PRONUNCIATION_VARIANT = re.compile(r"\(\d+\)$")


class _Sequence:
    def __init__(self, decoder: Decoder, initial_cmn: str):
        self.decoder = decoder
        self.chunks: list[np.ndarray] = []
        self.samples = 0
        self.last_seen = time.monotonic()
        decoder.set_cmn(initial_cmn)
        decoder.start_utt()


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        params = {k: v["string_value"] for k, v in config["parameters"].items()}
        self.languages = set(params["languages"].split(","))
        self.max_samples = int(float(params["max_sequence_seconds"]) * SAMPLE_RATE)
        self.idle_s = float(params["idle_eviction_seconds"])
        # Decoders are costly to build (~0.25 s): keep the idle ones for the next sequences.
        self.final_decoder = Decoder(loglevel="ERROR")
        self.initial_cmn = self.final_decoder.get_cmn(False)
        self.frame_rate = int(self.final_decoder.config["frate"])
        self.pool: list[Decoder] = []
        self.sequences: dict[int, _Sequence] = {}

    def _open(self, corrid: int) -> _Sequence:
        old = self.sequences.pop(corrid, None)
        if old is not None:  # restarted id: drop the unfinished utterance
            old.decoder.end_utt()
            self.pool.append(old.decoder)
        decoder = self.pool.pop() if self.pool else Decoder(loglevel="ERROR")
        seq = _Sequence(decoder, self.initial_cmn)
        self.sequences[corrid] = seq
        return seq

    def _close(self, corrid: int) -> None:
        seq = self.sequences.pop(corrid)
        seq.decoder.end_utt()
        self.pool.append(seq.decoder)

    def _evict_idle(self) -> None:
        now = time.monotonic()
        for corrid in [c for c, s in self.sequences.items() if now - s.last_seen > self.idle_s]:
            self._close(corrid)

    def _final(self, seq: _Sequence) -> tuple[str, float, list[dict]]:
        audio = np.concatenate(seq.chunks) if seq.chunks else np.zeros(0, dtype=np.int16)
        decoder = self.final_decoder
        decoder.set_cmn(self.initial_cmn)
        decoder.start_utt()
        decoder.process_raw(audio.tobytes(), False, True)
        decoder.end_utt()
        hyp = decoder.hyp()
        if hyp is None:
            return "", 0.0, []
        segments = [
            {
                "word": PRONUNCIATION_VARIANT.sub("", s.word),
                "start": round(s.start_frame / self.frame_rate, 3),
                "end": round((s.end_frame + 1) / self.frame_rate, 3),
                "confidence": round(float(s.prob), 4),
            }
            for s in decoder.seg()
            if not s.word.startswith(FILLER_PREFIXES)
        ]
        # mean word posterior: the whole-utterance posterior shrinks with length and says little
        confidence = sum(s["confidence"] for s in segments) / len(segments) if segments else 0.0
        return hyp.hypstr, confidence, segments

    def _error(self, message):
        return pb_utils.InferenceResponse(error=pb_utils.TritonError(message, pb_utils.TritonError.INVALID_ARG))

    def _one(self, request):
        audio = pb_utils.get_input_tensor_by_name(request, "AUDIO_SIGNAL").as_numpy()
        lengths = pb_utils.get_input_tensor_by_name(request, "NUM_SAMPLES").as_numpy().reshape(-1)
        lang = pb_utils.get_input_tensor_by_name(request, "LANG_ID").as_numpy().reshape(-1)[0].decode()
        start = bool(pb_utils.get_input_tensor_by_name(request, "START").as_numpy().reshape(-1)[0])
        end = bool(pb_utils.get_input_tensor_by_name(request, "END").as_numpy().reshape(-1)[0])
        corrid = int(pb_utils.get_input_tensor_by_name(request, "CORRID").as_numpy().reshape(-1)[0])
        return_audio_input = pb_utils.get_input_tensor_by_name(request, "RETURN_AUDIO")  # optional
        return_audio = return_audio_input is not None and bool(return_audio_input.as_numpy().reshape(-1)[0])
        if lang not in self.languages:
            return self._error(f"unsupported language {lang!r}; this model serves {sorted(self.languages)}")
        if audio.shape[0] != 1:
            return self._error("a streaming request carries one chunk (batch size 1)")
        seq = self._open(corrid) if start else self.sequences.get(corrid)
        if seq is None:
            return self._error(f"sequence {corrid} is not open (START missing or evicted after idling)")
        pcm = np.clip(np.round(audio[0, : int(lengths[0])] * 32768.0), -32768, 32767).astype(np.int16)
        if seq.samples + pcm.size > self.max_samples:
            self._close(corrid)
            return self._error(f"sequence longer than {self.max_samples // SAMPLE_RATE} s")
        seq.chunks.append(pcm)
        seq.samples += pcm.size
        seq.last_seen = time.monotonic()
        if pcm.size:
            seq.decoder.process_raw(pcm.tobytes(), False, False)
        utterance = np.zeros(0, dtype=np.float32)
        if end and return_audio:  # no second pass: the caller transcribes the audio with `asr`
            hyp = seq.decoder.hyp()
            text, confidence, segments = (hyp.hypstr if hyp else ""), 0.0, []
            if seq.chunks:
                utterance = np.concatenate(seq.chunks).astype(np.float32) / 32768.0
            self._close(corrid)
        elif end:
            text, confidence, segments = self._final(seq)
            self._close(corrid)
        else:
            hyp = seq.decoder.hyp()
            text, confidence, segments = (hyp.hypstr if hyp else ""), 0.0, []
        return pb_utils.InferenceResponse(
            output_tensors=[
                pb_utils.Tensor("TRANSCRIPTS", np.array([[text.encode()]], dtype=object)),
                pb_utils.Tensor("IS_FINAL", np.array([[end]], dtype=bool)),
                pb_utils.Tensor("CONFIDENCE", np.array([[confidence]], dtype=np.float32)),
                pb_utils.Tensor("SEGMENTS", np.array([[json.dumps(segments).encode()]], dtype=object)),
                pb_utils.Tensor("UTTERANCE_AUDIO", utterance.reshape(1, -1)),
            ]
        )

    def execute(self, requests):
        self._evict_idle()
        return [self._one(request) for request in requests]
