"""The main job (`make demo`): the platform end to end on a sample, locally, like a client would use it.

1. The core on a real recording (pocketsphinx-testdata's public-domain `goforward.raw`, installed by
   `make setup`): re-encoded as 44.1 kHz stereo MP3, as a client might send it, then decoded, downmixed and
   resampled to 16 kHz mono the way the ASR path does.
2. The local cloud comes up (PostgreSQL, Triton, LocalStack with the `local` CDK stage, the function runtime
   playing Lambda and API Gateway from the same template) with a fresh dev API key.
3. Over HTTP with that key: health, sync ASR (plain and SRT), TTS, NMT, a pipeline (ASR → NMT → TTS), and a
   refused request, each result shown; then the key's usage as the API reports it. Then the recording is
   streamed over the WebSocket API in real time, partials printed as they arrive (`demo_stream`); then a longer
   recording is transcribed as a batch job, dropped into the ingest bucket and created through the jobs API,
   progress shown as it moves and the transcript's first subtitles printed (`demo_jobs`).
4. Everything is stopped again (unless `--keep-up`).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from local_cloud.demo_jobs import run_jobs
from local_cloud.demo_stream import stream_recording
from speech_core.audio import (
    AudioContainer,
    AudioLimits,
    DecodedAudio,
    decode_audio,
    decode_to_mono,
    encode_audio,
    resample,
)

SAMPLE_RAW = Path("/usr/share/pocketsphinx/test/data/goforward.raw")  # 16 kHz, 16-bit, mono, little-endian
SAMPLE_TEXT = "go forward ten meters"
DEMO_LIMITS = AudioLimits(max_bytes=10_000_000, max_seconds=60)
DEMO_STATE_DIR = Path(__file__).resolve().parents[1] / ".local" / "demo"


def _client_upload() -> bytes:
    """The sample as a client would upload it: stereo MP3 at 44.1 kHz."""
    pcm = np.frombuffer(SAMPLE_RAW.read_bytes(), dtype="<i2").astype(np.float32) / 32768.0
    upsampled = resample(DecodedAudio.from_signal(pcm, 16_000), 44_100).signal
    return encode_audio(DecodedAudio(np.stack([upsampled, upsampled], axis=1), 44_100), AudioContainer.MP3)


def run_core_on_sample() -> bytes:
    print("== 1. core: decode -> downmix -> resample on a real recording")
    if not SAMPLE_RAW.exists():
        raise SystemExit(f"sample {SAMPLE_RAW} is missing: run `make setup` (Debian package pocketsphinx-testdata)")
    upload = _client_upload()
    as_sent = decode_audio(upload, DEMO_LIMITS)
    print(
        f"   upload: {len(upload)} bytes MP3, {as_sent.sample_rate} Hz, {as_sent.channels} channels, "
        f"{as_sent.duration_s:.2f} s"
    )
    mono = decode_to_mono(upload, DEMO_LIMITS, 16_000)
    print(
        f"   for ASR: {mono.sample_rate} Hz, {mono.channels} channel, {mono.duration_s:.2f} s "
        f"({mono.frames} samples); the recording says: {SAMPLE_TEXT!r}"
    )
    return upload


class Client:
    """A tiny HTTP client, as a user's code would be."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key

    def call(self, method: str, path: str, body: Any = None, *, key: bool = True) -> tuple[int, Any, float]:
        headers = {"content-type": "application/json"}
        if key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        return status, json.loads(raw or b"null"), (time.perf_counter() - started) * 1000


def _show(label: str, status: int, elapsed_ms: float, detail: str) -> None:
    print(f"   {label:<34} {status}  {elapsed_ms:6.0f} ms  {detail}")


def exercise_api(client: Client, upload: bytes) -> None:
    print("== 3. the API over HTTP, with the dev key (a function's first call includes its cold start)")
    status, body, ms = client.call("GET", "/v1/health", key=False)
    _show("GET /v1/health (no key)", status, ms, json.dumps(body.get("checks", body)))
    audio = base64.b64encode(upload).decode()
    asr: dict[str, Any] = {
        "audio": [{"audioContent": audio}],
        "config": {"language": {"sourceLanguage": "en"}, "audioFormat": "mp3"},
    }
    status, body, ms = client.call("POST", "/v1/asr", asr)
    _show("POST /v1/asr", status, ms, repr(body["output"][0]["source"]) if status == 200 else json.dumps(body))
    asr["config"]["transcriptionFormat"] = {"value": "srt"}
    status, body, ms = client.call("POST", "/services/inference/asr", asr)
    _show(
        "POST /services/inference/asr (srt)",
        status,
        ms,
        repr(body["output"][0]["source"].strip()) if status == 200 else json.dumps(body),
    )
    tts = {
        "input": [{"source": "नमस्ते, यह एक परीक्षण है।"}],
        "config": {"language": {"sourceLanguage": "hi"}, "gender": "female", "audioFormat": "wav"},
    }
    status, body, ms = client.call("POST", "/v1/tts", tts)
    if status == 200:
        wav, rate = sf.read(io.BytesIO(base64.b64decode(body["audio"][0]["audioContent"])))
        detail = f"hi female: {len(wav) / rate:.2f} s of audio at {rate} Hz"
    else:
        detail = json.dumps(body)
    _show("POST /v1/tts", status, ms, detail)
    translation = {
        "input": [{"source": "The house is big."}, {"source": "Where is the station?"}],
        "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
    }
    status, body, ms = client.call("POST", "/v1/nmt", translation)
    _show(
        "POST /v1/nmt (en→es)",
        status,
        ms,
        " | ".join(o["target"] for o in body["output"]) if status == 200 else json.dumps(body),
    )
    pipeline = {
        "pipelineTasks": [
            {"taskType": "asr", "config": {"language": {"sourceLanguage": "en"}}},
            {"taskType": "translation", "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}},
            {"taskType": "tts", "config": {"language": {"sourceLanguage": "es"}, "gender": "male"}},
        ],
        "inputData": {"audio": [{"audioContent": audio}]},
    }
    status, body, ms = client.call("POST", "/v1/pipeline", pipeline)
    if status == 200:
        steps = body["pipelineResponse"]
        detail = (
            f"{steps[0]['output'][0]['source']!r} → {steps[1]['output'][0]['target']!r} → "
            f"{len(base64.b64decode(steps[2]['audio'][0]['audioContent']))} bytes of speech"
        )
    else:
        detail = json.dumps(body)
    _show("POST /v1/pipeline (asr→translation→tts)", status, ms, detail)
    status, body, ms = client.call(
        "POST", "/v1/asr", {"audio": [{"audioContent": audio}], "config": {"language": {"sourceLanguage": "ta"}}}
    )
    _show("POST /v1/asr in Tamil (refused)", status, ms, body["error"]["code"] + ": " + body["error"]["message"])
    status, body, ms = client.call("GET", "/v1/usage")
    if status == 200:
        detail = ", ".join(
            f"{d['task']} {d['requests']} req / {d['audioSeconds']:.1f} s / {d['characters']} chars"
            for d in body["days"]
        )
    else:
        detail = json.dumps(body)
    _show("GET /v1/usage", status, ms, detail)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep-up", action="store_true", help="leave the local cloud running (make down stops it)")
    args = parser.parse_args(argv)
    from local_cloud.cloud_lifecycle import DEFAULT_STATE_DIR, DEV_TENANT, _api_url, down, print_endpoints, up
    from local_cloud.cloudformation_deployer import aws_client

    upload = run_core_on_sample()
    state_dir = DEFAULT_STATE_DIR if args.keep_up else DEMO_STATE_DIR
    print("== 2. the local cloud comes up")
    state = up(state_dir)
    try:
        assert state.api_key is not None
        exercise_api(Client(_api_url(state), state.api_key), upload)
        if state.outputs.get("WebSocketUrl"):
            stream_recording(state.outputs["WebSocketUrl"], state.api_key, SAMPLE_RAW)
        localstack = next(part for part in state.parts if part.name == "localstack")
        s3 = aws_client("s3", f"http://127.0.0.1:{localstack.ports[0]}")
        run_jobs(_api_url(state), state.api_key, s3, state.outputs["IngestBucketName"], DEV_TENANT)
    finally:
        if args.keep_up:
            print_endpoints(state)
        else:
            print("== 4. stopping the local cloud")
            down(state_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
