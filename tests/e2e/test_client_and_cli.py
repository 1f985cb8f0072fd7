"""The Python client (client/speech_client) and the `speech` command line against the local cloud, like a user.

Given the local cloud (started once for the e2e session), the client's README examples run as a doctest; the
client's errors carry the API's codes; a stream survives a dropped connection; and the CLI runs in a real
terminal (tmux), where the test reads the screen a person would see: the upload and job progress bars moving,
live partials, tables, exit codes by error class.
"""

from __future__ import annotations

import asyncio
import doctest
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from speech_client import (
    AsyncSpeechClient,
    AuthenticationError,
    ClientConfig,
    End,
    ExitCode,
    Final,
    PermissionDeniedError,
    RateLimitedError,
    RetryPolicy,
    SpeechClient,
)
from speech_core.keys import KeyLimits, Scope
from tests.e2e.conftest import GOFORWARD_RAW, LocalCloud, wav_bytes

REPO = Path(__file__).resolve().parents[2]
README = REPO / "client" / "README.md"
SPEECH = Path(sys.executable).with_name("speech")
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
TRANSCRIPT = "go forward ten meters"


def lecture_wav(path: Path, repeats: int = 3) -> Path:
    """About 90 s of real read speech (LibriVox clips, public domain) with a second of silence between clips:
    longer than the sync limit, so `transcribe` sends it as a job."""
    clips = sorted(LIBRIVOX.glob("*.wav"))
    silence = np.zeros(16_000, dtype=np.float32)
    parts = [part for _ in range(repeats) for clip in clips for part in (sf.read(clip, dtype="float32")[0], silence)]
    sf.write(path, np.concatenate(parts), 16_000, subtype="PCM_16")
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("speech-client")
    (folder / "talk.wav").write_bytes(wav_bytes(GOFORWARD_RAW.read_bytes()))
    lecture_wav(folder / "lecture.wav")
    return folder


@pytest.fixture(scope="module")
def user_env(local_cloud: LocalCloud, make_key: Callable[..., str]) -> dict[str, str]:
    """What `make up` tells a user to export (a key of their own, all scopes)."""
    assert local_cloud.websocket_url
    return {
        "SPEECH_API_URL": local_cloud.api_url,
        "SPEECH_API_KEY": make_key(list(Scope)),
        "SPEECH_WS_URL": local_cloud.websocket_url,
        "SPEECH_CONFIG_FILE": "/nonexistent/speech.toml",
    }


@pytest.fixture
def client(user_env: dict[str, str]) -> Iterator[SpeechClient]:
    with SpeechClient(environ=user_env) as speech:
        yield speech


# --- the client -------------------------------------------------------------------------------------------------
def test_the_client_readme_examples_run_against_the_local_cloud(
    user_env: dict[str, str], workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a user's environment and folder, When every example of client/README.md runs as a doctest
    for name, value in user_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workdir)
    results = doctest.testfile(
        str(README), module_relative=False, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    # Then all of them (sync routes, transcribe by sync and by job, jobs, errors, streaming) give what it shows
    assert results.attempted >= 30 and results.failed == 0, f"{results.failed} README examples failed (above)"


def test_a_key_without_access_and_a_rate_limit_are_typed_errors(
    local_cloud: LocalCloud, make_key: Callable[..., str], workdir: Path
) -> None:
    # Given an unknown key, a revoked one, and a key allowed one request a minute
    unknown = SpeechClient(local_cloud.api_url, "spk_notakey0000_" + "x" * 40, environ={})
    with pytest.raises((AuthenticationError, PermissionDeniedError)) as refused:
        unknown.models()
    assert refused.value.status in (401, 403) and refused.value.code
    revoked = SpeechClient(local_cloud.api_url, make_key([Scope.TRANSLATION], revoked=True), environ={})
    with pytest.raises((AuthenticationError, PermissionDeniedError)):
        revoked.translate("hello", "en", "es")
    # When the limited key makes two calls and the client may not wait for Retry-After
    limited_key = make_key([Scope.TRANSLATION], KeyLimits(per_minute=1, per_hour=100, per_day=1000))
    policy = RetryPolicy(max_retry_after_s=0)
    with SpeechClient(config=ClientConfig(local_cloud.api_url, limited_key, retry=policy)) as limited:
        assert limited.translate("hello", "en", "es").output[0].target
        with pytest.raises(RateLimitedError) as raised:
            limited.translate("hello", "en", "es")
    # Then the second is a RateLimitedError with the API's code, request id and Retry-After
    assert raised.value.code == "rate.limited" and raised.value.request_id
    assert raised.value.retry_after is not None and 0 < raised.value.retry_after <= 60


def test_cancel_and_retry_a_job(client: SpeechClient, workdir: Path) -> None:
    # Given a job of the long recording, When it is cancelled at once
    job = client.submit_job(workdir / "lecture.wav", "en", output_formats=["txt"])
    cancelled = client.cancel_job(job.job_id)
    assert cancelled.state == "cancelled"
    # Then retry queues it again as attempt 2, and it can be cancelled again
    retried = client.retry_job(job.job_id)
    assert retried.state == "queued" and retried.attempt == 2
    assert client.cancel_job(job.job_id).state == "cancelled"
    client.delete_job(job.job_id)


def test_the_async_client_transcribes_a_long_file_as_a_job_with_progress(
    user_env: dict[str, str], workdir: Path
) -> None:
    fractions: list[float] = []

    async def run() -> tuple[str, str]:
        async with AsyncSpeechClient(environ=user_env) as speech:
            result = await speech.transcribe(
                workdir / "lecture.wav",
                "en",
                "json",
                on_job=lambda job: fractions.append(job.progress.fraction),
                poll_s=0.5,
            )
            return result.via, result.content

    via, content = asyncio.run(run())
    document = json.loads(content)
    assert via == "job" and document["complete"] is True and document["duration"] == pytest.approx(90, abs=15)
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


class DroppingProxy:
    """A TCP proxy in front of the WebSocket API that cuts its first connection (both ways, no close frame)
    after `cut_after_bytes` from the client: a network drop in the middle of a stream."""

    def __init__(self, target: tuple[str, int], cut_after_bytes: int) -> None:
        self.target, self.cut_after_bytes = target, cut_after_bytes
        self.connections = 0
        self.cut = False

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        cut_this = self.connections == 1
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        sent = 0

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter, counts: bool) -> None:
            nonlocal sent
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
                sent += len(data) if counts else 0
                if cut_this and counts and sent >= self.cut_after_bytes:
                    self.cut = True
                    writer.transport.abort()
                    up_writer.transport.abort()
                    return

        await asyncio.gather(pipe(reader, up_writer, True), pipe(up_reader, writer, False), return_exceptions=True)
        writer.close()
        up_writer.close()


def test_a_stream_is_resumed_after_its_connection_drops(user_env: dict[str, str], workdir: Path) -> None:
    # Given a network path to the WebSocket API that drops the first connection mid-stream
    ws_url = user_env["SPEECH_WS_URL"]
    host, port, stage = re.fullmatch(r"ws://([\d.]+):(\d+)(/.*)", ws_url).groups()  # type: ignore[union-attr]

    async def run() -> tuple[list[object], DroppingProxy, int]:
        proxy = DroppingProxy((host, int(port)), cut_after_bytes=40_000)  # about 1 s of audio as base64 frames
        server = await asyncio.start_server(proxy.handle, "127.0.0.1", 0)
        proxy_port = server.sockets[0].getsockname()[1]
        config = ClientConfig(
            user_env["SPEECH_API_URL"], user_env["SPEECH_API_KEY"], f"ws://127.0.0.1:{proxy_port}{stage}"
        )
        async with server, AsyncSpeechClient(config=config) as speech:
            stream = speech.stream(workdir / "talk.wav", "en", realtime=True)
            events = [event async for event in stream]
            return events, proxy, stream.resumes

    # When the recording is streamed in real time through it
    events, proxy, resumes = asyncio.run(run())
    # Then the client resumed on a second connection, and the final is the whole recording, each frame once
    assert proxy.cut and proxy.connections == 2 and resumes == 1
    assert [e.text for e in events if isinstance(e, Final)] == [TRANSCRIPT]
    end = events[-1]
    assert isinstance(end, End) and end.audio_seconds == pytest.approx(
        len(GOFORWARD_RAW.read_bytes()) / 32_000, abs=0.001
    )


def test_streaming_tts_writes_the_spoken_text_to_a_file_sentence_by_sentence(
    client: SpeechClient, workdir: Path
) -> None:
    # Given three Hindi sentences, When they are synthesized over the WebSocket API into a file
    received: list[tuple[float, int]] = []
    text = "नमस्ते, आप कैसे हैं? मैं ठीक हूँ। आज मौसम अच्छा है।"
    result = client.synthesize_stream(
        text, "hi", workdir / "streamed.wav", on_chunk=lambda seconds, chunk: received.append((seconds, chunk.text_seq))
    )
    # Then audio came in several chunks as it was made, and the file holds all of it, as much as the server billed
    audio, rate = sf.read(workdir / "streamed.wav")
    assert rate == 16_000 and result.chunks == len(received) > 1
    assert [s for s, _ in received] == sorted(s for s, _ in received)
    assert len(audio) / rate == pytest.approx(result.audio_seconds, abs=0.01) and result.audio_seconds > 1.0
    assert float(np.abs(audio).max()) > 0.05 and 0 < result.characters <= len(text)


# --- the command line in a terminal -----------------------------------------------------------------------------
class Terminal:
    """A real terminal: a tmux session on a private server, 110×30; `screens` are what a person sees."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        assert shutil.which("tmux"), "tmux is installed by `make setup` (Debian package)"
        self.socket = f"speech-e2e-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.cwd, self.env = cwd, {**os.environ, **env, "TERM": "xterm-256color", "COLUMNS": "110"}

    def tmux(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, *args], env=self.env, capture_output=True, text=True, check=True
        ).stdout

    def run(self, command: str) -> None:
        script = f'{command}; echo "[exit $?]"; sleep 600'
        self.tmux("new-session", "-d", "-s", "main", "-x", "110", "-y", "30", "-c", str(self.cwd), script)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "main")

    def watch(self, done: Callable[[str], bool], timeout_s: float, every_s: float = 0.1) -> list[str]:
        """Every distinct screen until `done(screen)`, in order."""
        screens: list[str] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            screen = self.screen()
            if not screens or screen != screens[-1]:
                screens.append(screen)
            if done(screen):
                return screens
            time.sleep(every_s)
        raise AssertionError("the terminal never showed the end; last screen:\n" + (screens[-1] if screens else ""))

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], env=self.env, capture_output=True)


@pytest.fixture
def terminal(workdir: Path, user_env: dict[str, str]) -> Iterator[Terminal]:
    term = Terminal(workdir, user_env)
    yield term
    term.close()


def _exit_of(screen: str) -> int | None:
    found = re.search(r"\[exit (\d+)\]", screen)
    return int(found.group(1)) if found else None


def test_speech_transcribe_shows_upload_and_job_progress_bars_that_move(terminal: Terminal, workdir: Path) -> None:
    # Given a person at a terminal with a 90 s recording
    # When they run `speech transcribe lecture.wav --format srt -o lecture.srt`
    terminal.run(f"{SPEECH} transcribe lecture.wav --format srt -o lecture.srt --poll 0.3")
    screens = terminal.watch(lambda s: _exit_of(s) is not None, timeout_s=600)
    # Then they see the job's bar move from below 100 % up to 100 %, never backwards
    job_percents = [int(m.group(1)) for s in screens for m in [re.search(r"^job\s.*?(\d+)%", s, re.M)] if m]
    assert job_percents and job_percents[0] < 100 and job_percents[-1] == 100, job_percents
    assert job_percents == sorted(job_percents) and len(set(job_percents)) >= 3, job_percents
    # And the upload bar full with the file's size, the result written, exit 0
    final = screens[-1]
    size_mb = (workdir / "lecture.wav").stat().st_size / 1e6
    assert re.search(rf"^upload\s.*100%\s+{size_mb:.1f}/{size_mb:.1f} MB", final, re.M), final
    assert re.search(r"^job\s.*100%\s+succeeded", final, re.M), final
    assert "wrote lecture.srt" in final and _exit_of(final) == 0
    assert (workdir / "lecture.srt").read_text().startswith("1\n00:00:")


def test_speech_stream_shows_live_partials_then_the_final(terminal: Terminal) -> None:
    # When a person streams a recording in real time
    terminal.run(f"{SPEECH} stream talk.wav")
    screens = terminal.watch(lambda s: _exit_of(s) is not None, timeout_s=120, every_s=0.05)
    # Then partial text shows before the final line does, and the final line and the seconds stay at the end
    final_line = re.compile(r"\[\s*[\d.]+–\s*[\d.]+\] go forward ten meters")
    first_final = next(i for i, s in enumerate(screens) if final_line.search(s))
    partial_screens = [s for s in screens[:first_final] if re.search(r"\b(go|forward|ten)\b", s)]
    assert partial_screens, "no partial transcript was on the screen before the final"
    assert final_line.search(screens[-1]) and "s of audio, billed 3 s" in screens[-1]
    assert _exit_of(screens[-1]) == 0


def test_tables_json_and_exit_codes(user_env: dict[str, str], workdir: Path, terminal: Terminal) -> None:
    # A person sees tables
    terminal.run(f"{SPEECH} translate 'go forward ten meters' --from en --to es")
    screen = terminal.watch(lambda s: _exit_of(s) is not None, timeout_s=60)[-1]
    assert "translation (es)" in screen and "Va de frente diez metros" in screen and _exit_of(screen) == 0

    def speech(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SPEECH), *args], cwd=workdir, env={**os.environ, **(env or user_env)}, capture_output=True, text=True
        )

    # Scripts get JSON
    models = speech("--json", "models")
    assert models.returncode == 0 and "asr" in {m["task"] for m in json.loads(models.stdout)["models"]}
    jobs = speech("--json", "jobs", "list", "--limit", "5")
    assert jobs.returncode == 0 and isinstance(json.loads(jobs.stdout)["jobs"], list)
    usage = speech("--json", "usage")
    assert usage.returncode == 0 and json.loads(usage.stdout)["days"]
    synthesized = speech("--json", "synthesize", "नमस्ते", "-l", "hi", "-o", "hello.wav")
    assert synthesized.returncode == 0 and (workdir / "hello.wav").read_bytes()[:4] == b"RIFF"
    streamed = speech("--json", "synthesize", "नमस्ते। आप कैसे हैं?", "-l", "hi", "-o", "streamed-cli.wav", "--stream")
    assert streamed.returncode == 0, streamed.stderr
    assert json.loads(streamed.stdout)["chunks"] > 0 and (workdir / "streamed-cli.wav").read_bytes()[:4] == b"RIFF"
    # And exit codes by error class, with the API's code in the JSON error
    missing = speech("--json", "jobs", "get", str(uuid.uuid4()))
    assert missing.returncode == ExitCode.NOT_FOUND
    assert json.loads(missing.stderr)["error"]["code"] == "resource.not_found"
    bad_key = speech("models", env={**user_env, "SPEECH_API_KEY": "spk_notakey0000_" + "x" * 40})
    assert bad_key.returncode == ExitCode.AUTHENTICATION and "error" in bad_key.stderr
    unsupported = speech("--json", "translate", "hello", "--from", "en", "--to", "xx")
    assert unsupported.returncode == ExitCode.INVALID_REQUEST
    no_url = speech(
        "models", env={**{k: v for k, v in user_env.items() if k != "SPEECH_API_URL"}, "SPEECH_API_URL": ""}
    )
    assert no_url.returncode == ExitCode.CONFIGURATION
    unreachable = speech("models", env={**user_env, "SPEECH_API_URL": "http://127.0.0.1:9/local/"})
    assert unreachable.returncode == ExitCode.TRANSPORT
