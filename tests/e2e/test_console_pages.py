"""The web console (console/) in a real Chromium, against the local cloud, like a person using it.

Debian's chromium, driven by Playwright (no browser download), loads the console from the local cloud's console
server; the console calls the REST and WebSocket APIs across origins (CORS for exactly the console's origin).
The microphone is Chromium's fake capture device playing a real recording (goforward.raw, looped). Each test
checks what the page shows against what the API itself answers for the same input, asserts that the page logged
no console error, and keeps a screenshot of the page under .local/test-artifacts/console/.
"""

from __future__ import annotations

import base64
import io
import re
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from infra_cdk import names
from local_cloud.cloud_lifecycle import DEV_TENANT
from speech_core.db.repositories import get_repositories
from speech_core.keys import KeyLimits, get_api_key_service
from tests.e2e.conftest import GOFORWARD_RAW, LocalCloud, b64, wav_bytes

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
#: axe-core (console/package.json devDependency): the accessibility rules every page is checked against
AXE = Path(__file__).resolve().parents[2] / "console" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / ".local" / "test-artifacts" / "console"
# the closed network: no background connections, no component updates, no sync; a fake microphone and speaker
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]
UI_TIMEOUT_MS = 30_000
# model calls on a loaded CPU machine take seconds: assertions wait as long as actions do
expect.set_options(timeout=UI_TIMEOUT_MS)


@pytest.fixture(scope="module")
def console_url(local_cloud: LocalCloud) -> str:
    assert local_cloud.console_url, "the local cloud serves no console: build it first (make setup-console)"
    return local_cloud.console_url


@pytest.fixture(scope="module")
def fake_microphone_wav(tmp_path_factory: pytest.TempPathFactory, goforward_wav: bytes) -> Path:
    path = tmp_path_factory.mktemp("microphone") / "goforward.wav"
    path.write_bytes(goforward_wav)
    return path


@pytest.fixture(scope="module")
def browser(fake_microphone_wav: Path) -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed (make setup-console installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_FLAGS, f"--use-file-for-fake-audio-capture={fake_microphone_wav}"],
        )
        try:
            yield browser
        finally:
            browser.close()


class ConsolePage:
    """One browser tab on the console, recording every console error and uncaught exception it sees."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.errors: list[str] = []
        #: the URL of every WebSocket the page opened (the key must be in none of them)
        self.websocket_urls: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("websocket", lambda socket: self.websocket_urls.append(socket.url))
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))
        page.set_default_timeout(UI_TIMEOUT_MS)

    def open(self, path: str) -> Page:
        self.page.goto(f"{self.base_url}#/{path}")
        expect(self.page.get_by_role("navigation", name="Pages")).to_be_visible()
        return self.page

    def wait_until_settled(self) -> None:
        """Until the app has no query or mutation in flight (`data-busy` on its main region) in 3 checks in a row
        100 ms apart: a page's first fetches start in an effect right after its first paint."""
        self.page.evaluate("() => { window.__settledChecks = 0; }")
        self.page.wait_for_function(
            """() => {
                const busy = document.querySelector('main[data-busy]')?.getAttribute('data-busy');
                window.__settledChecks = busy === 'false' ? window.__settledChecks + 1 : 0;
                return window.__settledChecks >= 3;
            }""",
            polling=100,
        )

    def assert_no_key_in_websocket_urls(self, key: str) -> None:
        """The page opened a WebSocket, and its URL holds neither the key nor a key parameter."""
        assert self.websocket_urls, "the page opened no WebSocket"
        for url in self.websocket_urls:
            assert key not in url and "key=" not in url.lower(), url

    def enter_key(self, key: str) -> None:
        page = self.open("key")
        page.get_by_role("textbox", name="API key").fill(key)
        page.get_by_role("button", name="Use this key").click()

    def choose_file(self, label: str, path: Path) -> None:
        """Picks a file through the file chooser the labelled button opens, as a person does."""
        with self.page.expect_file_chooser() as chooser:
            self.page.get_by_role("button", name=label).click()
        chooser.value.set_files(str(path))

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def console(browser: Browser, console_url: str, request: pytest.FixtureRequest) -> Iterator[ConsolePage]:
    # reduced motion: no transitions (Mantine's and the CSS ones, theme.css), so nothing is checked mid-animation
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, permissions=["microphone"], reduced_motion="reduce"
    )
    page = ConsolePage(context.new_page(), console_url)
    try:
        yield page
        # Then: the page logged no error at all (a CORS refusal, a React warning, an uncaught exception...)
        assert page.errors == [], f"console errors on {request.node.name}: {page.errors}"
    finally:
        context.close()


@pytest.fixture(scope="module")
def console_key(make_key: Callable[..., str]) -> str:
    """A key of its own, all scopes, with room for the jobs page's polling beside the tests' own calls."""
    return make_key(limits=KeyLimits(per_minute=600, per_hour=20_000, per_day=100_000))


@pytest.fixture(scope="module")
def client(local_cloud: LocalCloud, console_key: str) -> Iterator[httpx.Client]:
    """The API as the tests see it, with the console's key: what the pages show is checked against it."""
    with local_cloud.client(console_key) as http:
        yield http


@pytest.fixture
def keyed(console: ConsolePage, console_key: str) -> ConsolePage:
    console.enter_key(console_key)
    expect(console.page.get_by_test_id("key-details")).to_be_visible()
    return console


def _exchange_shows_a_request_id(page: Page, path: str) -> str:
    """The page's request panel: the method and path, the request id, a latency, and the response JSON."""
    panel = page.get_by_test_id("exchange")
    expect(panel).to_contain_text(path)
    request_id = page.get_by_test_id("exchange-request-id").inner_text()
    assert re.fullmatch(r"[0-9a-f-]{36}", request_id), request_id
    assert re.fullmatch(r"\d+ ms", page.get_by_test_id("exchange-latency").inner_text())
    return request_id


# --- Key -------------------------------------------------------------------------------------------------


def test_key_page_shows_scopes_limits_and_todays_usage(
    console: ConsolePage, console_key: str, client: httpx.Client
) -> None:
    # Given a key that made a call today, and the API's own view of it
    client.post(
        "v1/nmt",
        json={"input": [{"source": "Hello"}], "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}}},
    ).raise_for_status()
    usage = client.get("v1/usage").json()
    # When a person pastes the key
    console.enter_key(console_key)
    page = console.page
    # Then the page shows its prefix, scopes and limits as the API gives them
    expect(page.get_by_test_id("key-prefix")).to_have_text(usage["keyPrefix"])
    assert sorted(page.get_by_test_id("key-scope").all_text_contents()) == usage["scopes"]
    assert usage["scopes"] and "asr" in usage["scopes"]
    expect(page.get_by_test_id("key-limit")).to_have_count(len(usage["limits"]))
    expect(page.get_by_role("table", name="Limits")).to_contain_text(str(usage["limits"]["per_minute"]))
    # and today's usage, task by task as the API counts it
    today = [row for row in usage["days"] if row["day"] == usage["until"]]
    assert today
    expect(page.get_by_test_id("usage-today-row")).to_have_count(len(today))
    expect(page.get_by_role("table", name="Today's usage")).to_contain_text("translation")
    _exchange_shows_a_request_id(page, "/v1/usage")
    # the key is in session storage only: not in the URL, not in local storage
    assert console_key not in page.url
    assert page.evaluate("() => JSON.stringify(localStorage)").find(console_key) == -1
    assert page.evaluate("() => sessionStorage.getItem('speech-console.apiKey')") == console_key
    console.screenshot("key")


def test_a_wrong_key_shows_the_apis_error_code_and_message(console: ConsolePage, local_cloud: LocalCloud) -> None:
    wrong = "spk_wrongwrongwr_" + "x" * 40
    # Given what the API answers that key
    answer = local_cloud.client(wrong).get("v1/usage")
    assert answer.status_code in (401, 403)
    error = answer.json()["error"]
    # When a person pastes it
    console.enter_key(wrong)
    page = console.page
    # Then the page shows the same code and message, read across origins from the gateway's own error
    expect(page.get_by_test_id("api-error-code")).to_have_text(error["code"])
    expect(page.get_by_test_id("api-error-message")).to_have_text(error["message"])
    expect(page.get_by_test_id("exchange-status")).to_have_text(str(answer.status_code))
    console.screenshot("key-wrong")
    # the browser reported the refused call itself as a failed resource load: that is the only error allowed
    console.errors = [e for e in console.errors if f"status of {answer.status_code}" not in e]


# --- Speech to text ----------------------------------------------------------------------------------------


def test_speech_to_text_transcribes_an_uploaded_recording(
    keyed: ConsolePage, client: httpx.Client, goforward_wav: bytes, fake_microphone_wav: Path
) -> None:
    # Given the API's own transcript of the recording
    expected = client.post(
        "v1/asr",
        json={"audio": [{"audioContent": b64(goforward_wav)}], "config": {"language": {"sourceLanguage": "en"}}},
    ).json()["output"][0]
    assert "forward" in expected["source"]
    page = keyed.open("speech-to-text")
    # When the file is uploaded and transcribed
    keyed.choose_file("Audio file", fake_microphone_wav)
    expect(page.locator("canvas[data-drawn='true']")).to_have_count(1)  # its waveform is drawn
    page.get_by_role("button", name="Transcribe").click()
    # Then the transcript and its segments with times are shown
    expect(page.get_by_test_id("transcript")).to_have_value(expected["source"])
    expect(page.get_by_test_id("segment")).to_have_count(len(expected["segments"]))
    first = expected["segments"][0]
    expect(page.get_by_test_id("segment").first).to_contain_text(f"{first['start']:.2f} s")
    # and the request JSON has the audio elided, with the request id and latency beside it
    _exchange_shows_a_request_id(page, "/v1/asr")
    expect(page.get_by_test_id("exchange-request")).to_contain_text("bytes of audio, base64, elided")
    # and SRT / VTT downloads hold the segments
    with page.expect_download() as srt:
        page.get_by_role("link", name="Download SRT").click()
    srt_text = Path(srt.value.path()).read_text()
    assert srt_text.startswith("1\n00:00:0") and first["text"].strip() in srt_text
    with page.expect_download() as vtt:
        page.get_by_role("link", name="Download VTT").click()
    assert Path(vtt.value.path()).read_text().startswith("WEBVTT")
    keyed.screenshot("speech-to-text")


def test_speech_to_text_with_vad_and_srt_format(keyed: ConsolePage, fake_microphone_wav: Path) -> None:
    page = keyed.open("speech-to-text")
    keyed.choose_file("Audio file", fake_microphone_wav)
    page.get_by_label("Split at silences (VAD)").check()
    page.get_by_role("textbox", name="Format").click()
    page.get_by_role("option", name="SRT").click()
    page.get_by_role("button", name="Transcribe").click()
    # the API answered SRT text (the request carried both options)
    expect(page.get_by_test_id("transcript")).to_have_value(re.compile(r"^1\n00:00:\d\d,\d{3} --> "))
    request = page.get_by_test_id("exchange-request").inner_text()
    assert '"vad"' in request and '"srt"' in request


def test_speech_to_text_records_from_the_microphone(keyed: ConsolePage) -> None:
    page = keyed.open("speech-to-text")
    # When a person records (the fake microphone plays 'go forward ten meters' in a loop) for two loops
    page.get_by_role("button", name="Record from microphone").click()
    expect(page.get_by_role("button", name="Stop recording")).to_be_visible()
    time.sleep(6.5)
    page.get_by_role("button", name="Stop recording").click()
    expect(page.get_by_test_id("recorded")).to_contain_text("Recorded")
    recorded_s = float(re.search(r"([\d.]+) s", page.get_by_test_id("recorded").inner_text()).group(1))  # type: ignore[union-attr]
    assert 5.0 < recorded_s < 12.0
    page.get_by_role("button", name="Transcribe").click()
    # Then the recording is transcribed: the words of the recording are heard
    expect(page.get_by_test_id("transcript")).to_have_value(re.compile("forward"))
    keyed.screenshot("speech-to-text-microphone")


# --- Text to speech ------------------------------------------------------------------------------------------


def test_text_to_speech_plays_audio_of_a_sensible_duration(keyed: ConsolePage, client: httpx.Client) -> None:
    models = client.get("v1/models").json()["models"]
    tts = next(m for m in models if m["task"] == "tts")
    page = keyed.open("text-to-speech")
    # the pickers offer what GET /v1/models lists
    page.get_by_role("textbox", name="Voice").click()
    expect(page.get_by_role("option")).to_have_count(len(tts["voices"]))
    page.get_by_role("option", name="male", exact=True).click()
    page.get_by_label("Text", exact=True).fill("Go forward ten meters, then turn left at the station.")
    page.get_by_role("button", name="Synthesize").click()
    audio = page.get_by_test_id("tts-audio")
    expect(audio).to_be_visible()
    # Then the audio element holds playable audio of a sensible duration for ten words
    duration = page.evaluate(
        """async () => {
            const a = document.querySelector('[data-testid="tts-audio"]');
            if (a.readyState < 1) await new Promise(r => a.addEventListener('loadedmetadata', r, {once: true}));
            await a.play();
            a.pause();
            return a.duration;
        }"""
    )
    assert 1.5 < duration < 15.0, duration
    with page.expect_download() as download:
        page.get_by_role("link", name="Download WAV").click()
    with wave.open(str(download.value.path())) as wav:
        assert abs(wav.getnframes() / wav.getframerate() - duration) < 0.05
    request = page.get_by_test_id("exchange-request").inner_text()
    assert '"gender": "male"' in request
    expect(page.get_by_test_id("exchange-response")).to_contain_text("elided")
    keyed.screenshot("text-to-speech")


def test_text_to_speech_streams_over_the_websocket_api(
    keyed: ConsolePage, client: httpx.Client, console_key: str
) -> None:
    text = "The train leaves at seven. Passengers wait on the platform."
    # Given the sync TTS of the same text (a stream's joined audio lasts what the sync TTS lasts)
    sync = client.post(
        "v1/tts",
        json={"input": [{"source": text}], "config": {"language": {"sourceLanguage": "en"}, "gender": "female"}},
    ).json()
    with wave.open(io.BytesIO(base64.b64decode(sync["audio"][0]["audioContent"]))) as wav:
        sync_seconds = wav.getnframes() / wav.getframerate()
    page = keyed.open("text-to-speech")
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_role("button", name="Stream speech").click()
    # Then audio chunks arrive and play, and the joined audio is playable at the end
    expect(page.get_by_test_id("tts-stream-audio")).to_be_visible()
    stats = page.get_by_test_id("tts-stream-stats").inner_text()
    assert re.search(r"first audio after \d+ ms", stats), stats
    chunks = int(stats.split(" chunks")[0])
    assert chunks >= 2, stats  # two sentences: at least one chunk each
    duration = page.evaluate(
        """async () => {
            const a = document.querySelector('[data-testid="tts-stream-audio"]');
            if (a.readyState < 1) await new Promise(r => a.addEventListener('loadedmetadata', r, {once: true}));
            return a.duration;
        }"""
    )
    assert abs(duration - sync_seconds) / sync_seconds < 0.15, (duration, sync_seconds)
    expect(page.get_by_test_id("tts-stream-received")).to_contain_text('"type": "end"')
    # and the key went in the subprotocol offer, not the WebSocket's URL
    keyed.assert_no_key_in_websocket_urls(console_key)
    keyed.screenshot("text-to-speech-streaming")


# --- Translate and transliterate --------------------------------------------------------------------------


def test_translate_several_lines(keyed: ConsolePage, client: httpx.Client) -> None:
    lines = ["Hello my friend.", "The house is big."]
    expected = client.post(
        "v1/nmt",
        json={
            "input": [{"source": s} for s in lines],
            "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
        },
    ).json()["output"]
    page = keyed.open("translate")
    page.get_by_role("textbox", name="Language pair").click()
    page.get_by_role("option", name="en-es", exact=True).click()
    page.get_by_label("Text, one sentence per line").fill("\n".join(lines))
    page.get_by_role("button", name="Translate").click()
    expect(page.get_by_test_id("result-target")).to_have_text([o["target"] for o in expected])
    _exchange_shows_a_request_id(page, "/v1/nmt")
    keyed.screenshot("translate")


def test_transliterate_several_lines(keyed: ConsolePage, client: httpx.Client) -> None:
    lines = ["नमस्ते", "भारत"]
    expected = client.post(
        "v1/transliterate",
        json={
            "input": [{"source": s} for s in lines],
            "config": {"language": {"sourceLanguage": "hi", "targetLanguage": "en"}, "isSentence": True},
        },
    ).json()["output"]
    page = keyed.open("transliterate")
    page.get_by_label("Text, one sentence per line").fill("\n".join(lines))
    page.get_by_role("button", name="Transliterate").click()
    expect(page.get_by_test_id("result-target")).to_have_text([", ".join(o["target"]) for o in expected])
    keyed.screenshot("transliterate")


# --- Pipeline --------------------------------------------------------------------------------------------------


def test_pipeline_asr_translation_tts(keyed: ConsolePage, fake_microphone_wav: Path) -> None:
    page = keyed.open("pipeline")
    keyed.choose_file("Recording", fake_microphone_wav)
    page.get_by_role("button", name="Run pipeline").click()
    expect(page.get_by_test_id("pipeline-transcript")).to_contain_text("forward")
    translation = page.get_by_test_id("pipeline-translation").inner_text()
    assert translation.strip() and translation != page.get_by_test_id("pipeline-transcript").inner_text()
    duration = page.evaluate(
        """async () => {
            const a = document.querySelector('[data-testid="pipeline-audio"]');
            if (a.readyState < 1) await new Promise(r => a.addEventListener('loadedmetadata', r, {once: true}));
            return a.duration;
        }"""
    )
    assert 0.5 < duration < 20.0
    _exchange_shows_a_request_id(page, "/v1/pipeline")
    keyed.screenshot("pipeline")


# --- Jobs ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~30 s: the recording eight times with a second of silence between, so VAD cuts several chunks."""
    speech = GOFORWARD_RAW.read_bytes()
    silence = bytes(32_000)
    path = tmp_path_factory.mktemp("jobs") / "long.wav"
    path.write_bytes(wav_bytes((speech + silence) * 8))
    return path


def _progress_values(page: Page, job_id: str, until: Callable[[str], bool], timeout_s: float) -> tuple[list[int], str]:
    row = page.locator(f"[data-testid='job-row'][data-job-id='{job_id}']")
    seen: list[int] = []
    deadline = time.monotonic() + timeout_s
    state = ""
    while time.monotonic() < deadline:
        state = row.get_attribute("data-state") or ""
        value = int(row.get_by_test_id("job-progress").get_attribute("data-value") or 0)
        if not seen or seen[-1] != value:
            seen.append(value)
        if until(state):
            return seen, state
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} still {state} after {timeout_s} s (progress seen {seen})")


def _newest_job_id(client: httpx.Client, before: set[str]) -> str:
    for _ in range(60):
        jobs = client.get("v1/jobs").json()["jobs"]
        new = [j["jobId"] for j in jobs if j["jobId"] not in before]
        if new:
            return new[0]
        time.sleep(0.5)
    raise AssertionError("the console created no job")


def test_jobs_upload_progress_outputs(keyed: ConsolePage, client: httpx.Client, long_recording: Path) -> None:
    before = {j["jobId"] for j in client.get("v1/jobs").json()["jobs"]}
    page = keyed.open("jobs")
    keyed.choose_file("Long recording", long_recording)
    page.get_by_role("button", name="Upload and transcribe").click()
    # the upload's progress bar reaches 100 %
    expect(page.get_by_text("Upload 100%")).to_be_visible()
    job_id = _newest_job_id(client, before)
    # Then the job's progress bar moves from 0 to 100 while the list refreshes itself
    seen, state = _progress_values(page, job_id, lambda s: s in ("succeeded", "failed", "cancelled"), 600)
    assert state == "succeeded", (state, seen)
    assert seen[0] < 100 and seen[-1] == 100, seen
    # and its outputs are links to download
    row = page.locator(f"[data-testid='job-row'][data-job-id='{job_id}']")
    expect(row.get_by_test_id("job-output")).to_have_count(4)
    txt_link = row.get_by_test_id("job-output").filter(has_text="txt").get_attribute("href")
    assert txt_link and "forward" in httpx.get(txt_link, timeout=30).text
    keyed.screenshot("jobs")


def test_jobs_cancel_and_retry(keyed: ConsolePage, client: httpx.Client, long_recording: Path) -> None:
    before = {j["jobId"] for j in client.get("v1/jobs").json()["jobs"]}
    page = keyed.open("jobs")
    keyed.choose_file("Long recording", long_recording)
    page.get_by_role("button", name="Upload and transcribe").click()
    job_id = _newest_job_id(client, before)
    row = page.locator(f"[data-testid='job-row'][data-job-id='{job_id}']")
    # When the job is cancelled from its row
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_attribute("data-state", "cancelled")
    assert client.get(f"v1/jobs/{job_id}").json()["state"] == "cancelled"
    # and retried: it runs again (attempt 2) to the end
    row.get_by_role("button", name="Retry").click()
    _, state = _progress_values(page, job_id, lambda s: s == "succeeded", 600)
    job = client.get(f"v1/jobs/{job_id}").json()
    assert job["state"] == "succeeded" and job["attempt"] == 2


# --- Live ------------------------------------------------------------------------------------------------------


def test_live_streams_the_microphone_partials_then_final(
    keyed: ConsolePage, local_cloud: LocalCloud, client: httpx.Client, console_key: str
) -> None:
    assert local_cloud.websocket_url
    page = keyed.open("live")
    # with live translation of each final into Spanish (translateTo)
    page.get_by_role("textbox", name="Translate finals to").click()
    page.get_by_role("option", name="es", exact=True).click()
    page.get_by_role("button", name="Start streaming").click()
    expect(page.get_by_test_id("live-phase")).to_have_text("streaming")
    # Then partials arrive while the microphone plays
    expect(page.get_by_test_id("live-partial")).not_to_have_text("…", timeout=30_000)
    time.sleep(4)
    page.get_by_role("button", name="Stop").click()
    # and the final transcript follows, then the end with the stream's seconds
    expect(page.get_by_test_id("live-final").first).to_contain_text("forward", timeout=60_000)
    expect(page.get_by_test_id("live-end")).to_contain_text("s of audio")
    latency = page.get_by_test_id("live-latency").inner_text()
    assert re.search(r"p50 \d+ ms", latency), latency
    expect(page.get_by_test_id("live-sent")).to_contain_text('"action": "stop"')
    # and each final's translation is the sync NMT of its text
    final_text = page.get_by_test_id("live-final").first.inner_text().split("] ", 1)[1]
    expected = client.post(
        "v1/nmt",
        json={
            "input": [{"source": final_text}],
            "config": {"language": {"sourceLanguage": "en", "targetLanguage": "es"}},
        },
    ).json()["output"][0]["target"]
    expect(page.get_by_test_id("live-translation").first).to_have_text(f"→ {expected}")
    # and the key went in the subprotocol offer, not the WebSocket's URL
    keyed.assert_no_key_in_websocket_urls(console_key)
    keyed.screenshot("live")


def _drop_the_live_connection(local_cloud: LocalCloud, key: str) -> None:
    """Closes the key's open stream connection from the gateway's side, as API Gateway may (DELETE @connections)."""
    key_id = get_api_key_service(local_cloud.database_url).verify(key).key_id
    repositories = get_repositories(local_cloud.database_url)
    tenant = repositories.tenants.get_by_name(DEV_TENANT)
    assert tenant is not None
    (connection,) = [c for c in repositories.connections.list_open_for_tenant(tenant.id) if c.api_key_id == key_id]
    callback = local_cloud.outputs[names.OUT_WEBSOCKET_CALLBACK_URL].rstrip("/")
    assert httpx.delete(f"{callback}/@connections/{connection.connection_id}").status_code == 204


def test_live_resumes_the_stream_when_the_connection_drops(
    keyed: ConsolePage, local_cloud: LocalCloud, console_key: str
) -> None:
    page = keyed.open("live")
    page.get_by_role("button", name="Start streaming").click()
    expect(page.get_by_test_id("live-phase")).to_have_text("streaming")
    expect(page.get_by_test_id("live-partial")).not_to_have_text("…", timeout=30_000)
    # When the gateway drops the connection in the middle of the stream
    _drop_the_live_connection(local_cloud, console_key)
    # Then the page resumes the same session on a new connection (docs/streaming.md "Resuming") and goes on
    expect(page.get_by_test_id("live-resumes")).to_have_text("Connection dropped and resumed once")
    expect(page.get_by_test_id("live-phase")).to_have_text("streaming")
    time.sleep(3)
    page.get_by_role("button", name="Stop").click()
    # and the stream ends as one: its final, then the end, with no error shown
    expect(page.get_by_test_id("live-final").first).to_contain_text("forward", timeout=60_000)
    expect(page.get_by_test_id("live-end")).to_contain_text("s of audio")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert len(keyed.websocket_urls) == 2, keyed.websocket_urls
    keyed.assert_no_key_in_websocket_urls(console_key)


# --- Usage ------------------------------------------------------------------------------------------------------


def test_usage_chart_per_day_and_task(keyed: ConsolePage, client: httpx.Client) -> None:
    usage = client.get("v1/usage").json()
    tasks = {row["task"] for row in usage["days"]}
    page = keyed.open("usage")
    expect(page.get_by_test_id("usage-row")).to_have_count(len(usage["days"]))
    # one bar segment per (day, task) with requests
    expect(page.get_by_test_id("usage-bar")).to_have_count(sum(1 for r in usage["days"] if r["requests"] > 0))
    legend = page.get_by_label("Legend").inner_text()
    assert all(task in legend for task in tasks)
    keyed.screenshot("usage")


# --- Every page: accessible, keyboard, small screens --------------------------------------------------------
# Last in the module on purpose: every page then shows what the tests above left (jobs succeeded and cancelled,
# usage rows, segments...), so axe checks the states people see, whatever other modules ran before this one.

PAGES = [
    "key",
    "speech-to-text",
    "live",
    "text-to-speech",
    "translate",
    "transliterate",
    "pipeline",
    "jobs",
    "usage",
]


def test_every_page_passes_axe_and_works_from_the_keyboard(keyed: ConsolePage) -> None:
    assert AXE.is_file(), "axe-core is missing: make setup-console installs console/node_modules"
    page = keyed.page
    axe_source = AXE.read_text()
    for path in PAGES:
        keyed.open(path)
        expect(page.get_by_role("heading", level=2)).to_be_visible()
        keyed.wait_until_settled()  # the page's data is in (not networkidle: the Jobs page polls)
        # evaluated through the DevTools protocol: the page's CSP (scripts from its own origin only) stays on
        page.evaluate(axe_source)
        # WCAG 2.1 A/AA rules: labels, names, contrast, landmarks...
        violations = page.evaluate(
            """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}))
                .violations.map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"""
        )
        assert violations == [], f"{path}: {violations}"
    # the navigation works from the keyboard: Tab to a page's link, Enter opens it
    keyed.open("key")
    keyed.wait_until_settled()
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement?.textContent") == "Usage":
            break
    else:
        raise AssertionError("Tab never reached the Usage link")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Usage", level=2)).to_be_visible()
    # and on a phone-sized screen the navigation folds behind a labelled button
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("link", name="Jobs")).not_to_be_in_viewport()
    expect(page.get_by_role("button", name="Toggle navigation")).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name="Toggle navigation").click()
    expect(page.get_by_role("link", name="Jobs")).to_be_in_viewport()
    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Batch jobs", level=2)).to_be_visible()
    keyed.screenshot("jobs-small-screen")
