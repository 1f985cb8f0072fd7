"""The demo's batch step: a recording of real speech transcribed as a job, both ways a client starts one.

1. S3-drop: the recording is put under `incoming/<tenant>/` of the ingest bucket with its language in the object
   metadata, as a user's `aws s3 cp` would; the S3 event makes the job, found through `GET /v1/jobs`.
2. Jobs API: the same recording uploaded through `POST /v1/uploads` (presigned PUT), then `POST /v1/jobs`.
Both jobs' progress (chunks and audio seconds done) is printed as it moves; then the finished transcript's
first subtitles (`GET /v1/jobs/{id}/transcript?format=srt`) and the result files (docs/jobs.md).
"""

from __future__ import annotations

import io
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile as sf

TEST_DATA = Path("/usr/share/pocketsphinx/test/data")
#: public-domain LibriVox readings and CMU commands (Debian's pocketsphinx-testdata), 16 kHz mono
CLIPS = (
    "librivox/sense_and_sensibility_01_austen_64kb-0870.wav",
    "goforward.raw",
    "librivox/sense_and_sensibility_01_austen_64kb-0880.wav",
    "numbers.raw",
    "librivox/sense_and_sensibility_01_austen_64kb-0890.wav",
)
RATE = 16_000
SILENCE_S = 1.5
JOB_TIMEOUT_S = 300.0


def _clip(name: str) -> np.ndarray:
    path = TEST_DATA / name
    if path.suffix == ".raw":
        return np.fromfile(path, dtype="<i2").astype(np.float32) / 32768.0
    samples, _ = sf.read(path, dtype="float32")
    return np.asarray(samples, dtype=np.float32)


def recording_wav() -> tuple[bytes, float]:
    """The clips one after another with a silence before each, as 16 kHz PCM16 WAV; and its duration."""
    silence = np.zeros(int(SILENCE_S * RATE), dtype=np.float32)
    samples = np.concatenate([part for name in CLIPS for part in (silence, _clip(name))] + [silence])
    buffer = io.BytesIO()
    sf.write(buffer, samples, RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue(), samples.size / RATE


def _drop(s3: Any, bucket: str, tenant: str, wav: bytes) -> str:
    key = f"incoming/{tenant}/demo-{uuid.uuid4().hex[:8]}/talk.wav"
    s3.put_object(Bucket=bucket, Key=key, Body=wav, Metadata={"language": "en"})
    print(f"   S3-drop: put s3://{bucket}/{key} (metadata language=en)")
    return key


def _job_of_drop(api: httpx.Client, key: str) -> str:
    """The S3-drop job of `key`, as the tenant sees it through GET /v1/jobs."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for job in api.get("v1/jobs", params={"limit": 20}).json()["jobs"]:
            if job["source"] == "s3" and job["audioUri"].endswith(key):
                return str(job["jobId"])
        time.sleep(0.5)
    raise RuntimeError(f"no job appeared for the dropped {key} within 60 s")


def _create_from_upload(api: httpx.Client, wav: bytes) -> str:
    ticket = api.post("v1/uploads", json={"fileName": "talk.wav", "contentType": "audio/wav"})
    ticket.raise_for_status()
    httpx.put(ticket.json()["uploadUrl"], content=wav, headers=ticket.json()["headers"], timeout=60).raise_for_status()
    body = {"audioUri": ticket.json()["audioUri"], "config": {"language": {"sourceLanguage": "en"}}}
    created = api.post("v1/jobs", json=body)
    print(f"   POST /v1/jobs -> {created.status_code} {created.json().get('state', created.text)}")
    created.raise_for_status()
    return str(created.json()["jobId"])


def _progress_line(label: str, job: dict[str, Any]) -> str:
    progress = job["progress"]
    total = progress.get("totalAudioSeconds")
    chunks = f"{progress['chunksDone']}/{progress.get('chunksTotal') or '?'} chunks"
    seconds = f"{progress['audioSeconds']:.1f}/{total:.1f} s" if total else f"{progress['audioSeconds']:.1f} s"
    return f"{label:<9} {job['state']:<10} {chunks:<12} {seconds:<14} {progress['fraction'] * 100:5.1f} %"


def _wait(api: httpx.Client, jobs: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Poll every job until each is final, printing a line whenever one's progress moves."""
    started, last, final = time.monotonic(), dict[str, str](), dict[str, dict[str, Any]]()
    while len(final) < len(jobs) and time.monotonic() - started < JOB_TIMEOUT_S:
        for label, job_id in jobs.items():
            if label in final:
                continue
            job = api.get(f"v1/jobs/{job_id}").json()
            line = _progress_line(label, job)
            if line != last.get(label):
                print(f"   {time.monotonic() - started:6.1f} s  {line}")
                last[label] = line
            if job["state"] in {"succeeded", "failed", "cancelled"}:
                final[label] = job
        time.sleep(1)
    missing = set(jobs) - set(final)
    if missing:
        raise RuntimeError(f"jobs {sorted(missing)} not finished within {JOB_TIMEOUT_S:.0f} s")
    return final


def run_jobs(api_url: str, api_key: str, s3: Any, ingest_bucket: str, tenant: str) -> None:
    print("== 3c. batch jobs: a recording of real speech by S3-drop and through the jobs API, with progress")
    wav, duration_s = recording_wav()
    print(f"   recording: {len(CLIPS)} public-domain clips with silences, {duration_s:.1f} s, {len(wav)} bytes")
    with httpx.Client(base_url=api_url.rstrip("/") + "/", headers={"x-api-key": api_key}, timeout=60) as api:
        key = _drop(s3, ingest_bucket, tenant, wav)
        jobs = {"s3-drop": _job_of_drop(api, key), "jobs-api": _create_from_upload(api, wav)}
        final = _wait(api, jobs)
        for label, job in final.items():
            if job["state"] != "succeeded":
                print(f"   {label}: {job['state']} {job.get('error')}")
                continue
            srt = api.get(f"v1/jobs/{job['jobId']}/transcript", params={"format": "srt"}).text
            cues = srt.strip().split("\n\n")
            print(f"   {label}: {job['billedAudioSeconds']:.1f} s billed; results {sorted(job['results'])}")
            print("      " + "\n      ".join("\n\n".join(cues[:2]).splitlines()))
