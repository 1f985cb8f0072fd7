"""`speech`: the command line on the client. Human tables by default, `--json` for scripts.

Exit codes by error class (`speech_client.errors.ExitCode`, listed in client/README.md): 0 done, 2 usage,
3 configuration, 4 authentication, 5 invalid request, 6 not found, 7 rate limited, 8 server, 9 transport,
10 job failed, 11 stream, 1 anything else.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import BaseModel
from rich.console import Console
from rich.live import Live
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table
from rich.text import Text

from .async_client import AsyncSpeechClient
from .client import SpeechClient
from .config import ClientConfig
from .errors import ApiError, SpeechError
from .models import Job, TranscriptFormat
from .streaming import End, Final, Partial, StreamEvent, TranslationEvent, UtteranceError

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


class Settings(BaseModel):
    api_url: str | None = None
    api_key: str | None = None
    websocket_url: str | None = None
    profile: str | None = None
    timeout_s: float | None = None
    json_output: bool = False

    def config(self) -> ClientConfig:
        return ClientConfig.load(
            self.api_url,
            self.api_key,
            websocket_url=self.websocket_url,
            profile=self.profile,
            timeout_s=self.timeout_s,
        )

    def client(self) -> SpeechClient:
        return SpeechClient(config=self.config())


def _emit_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_none=True)
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def _fail(error: SpeechError, as_json: bool) -> NoReturn:
    if as_json:
        body: dict[str, Any] = {"code": getattr(error, "code", type(error).__name__), "message": error.message}
        if isinstance(error, ApiError):
            body |= {"status": error.status, "requestId": error.request_id, "details": error.details or None}
        click.echo(json.dumps({"error": {k: v for k, v in body.items() if v is not None}}), err=True)
    else:
        err.print(f"[bold red]error[/]: {error}")
    sys.exit(int(error.exit_code))


def _run(ctx: click.Context, action: Callable[[Settings], None]) -> None:
    settings: Settings = ctx.obj
    try:
        action(settings)
    except SpeechError as error:
        _fail(error, settings.json_output)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--api-url", envvar="SPEECH_API_URL", help="The HTTPS API's base URL (env SPEECH_API_URL).")
@click.option("--api-key", envvar="SPEECH_API_KEY", help="The API key (env SPEECH_API_KEY).")
@click.option("--ws-url", "websocket_url", envvar="SPEECH_WS_URL", help="The WebSocket API (env SPEECH_WS_URL).")
@click.option("--profile", envvar="SPEECH_PROFILE", help="A profile of ~/.config/speech/config.toml.")
@click.option("--timeout", "timeout_s", type=float, help="Seconds for one HTTP call (default 60).")
@click.option("--json", "json_output", is_flag=True, help="Machine-readable JSON instead of tables.")
@click.version_option(package_name="speech-client")
@click.pass_context
def main(ctx: click.Context, **options: Any) -> None:
    """Speech recognition, synthesis and translation for Indian languages and English."""
    ctx.obj = Settings(**options)


# --- transcribe -------------------------------------------------------------------------------------------------
@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-l", "--language", default="en", show_default=True)
@click.option("-f", "--format", "fmt", type=click.Choice([f.value for f in TranscriptFormat]), default="txt")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here, not stdout.")
@click.option("--poll", "poll_s", type=float, default=2.0, show_default=True, help="Seconds between job polls.")
@click.pass_context
def transcribe(ctx: click.Context, file: Path, language: str, fmt: str, output: Path | None, poll_s: float) -> None:
    """Transcribe FILE of any length: one sync call when short, else an upload and a job (with progress bars)."""

    def action(settings: Settings) -> None:
        columns = (
            TextColumn("{task.description:<8}"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[info]}"),
        )
        with settings.client() as client, Progress(*columns, console=err, disable=settings.json_output) as progress:
            upload_task = job_task = None

            def on_upload(sent: int, total: int) -> None:
                nonlocal upload_task
                if upload_task is None:
                    upload_task = progress.add_task("upload", total=total, info="")
                progress.update(upload_task, completed=sent, info=f"{sent / 1e6:.1f}/{total / 1e6:.1f} MB")

            def on_job(job: Job) -> None:
                nonlocal job_task
                if job_task is None:
                    job_task = progress.add_task("job", total=1.0, info="")
                p = job.progress
                seconds = f"{p.audio_seconds:.0f}/{p.total_audio_seconds:.0f} s" if p.total_audio_seconds else ""
                progress.update(job_task, completed=p.fraction, info=f"{job.state.value} {seconds}".strip())

            result = client.transcribe(file, language, fmt, on_upload=on_upload, on_job=on_job, poll_s=poll_s)
        if output:
            output.write_text(result.content, encoding="utf-8")
        if settings.json_output:
            summary = {"via": result.via, "format": result.format.value, "durationSeconds": result.duration_s}
            if result.job:
                summary["jobId"] = result.job.job_id
            _emit_json(summary | ({"output": str(output)} if output else {"content": result.content}))
        elif output:
            how = f"job {result.job.job_id}" if result.job else "one sync call"
            err.print(f"wrote {output} ({result.format.value}, {result.duration_s:.1f} s of audio, {how})")
        else:
            click.echo(result.content, nl=not result.content.endswith("\n"))

    _run(ctx, action)


# --- synthesize, translate, detect ------------------------------------------------------------------------------
@main.command()
@click.argument("text")
@click.option("-l", "--language", required=True, help="e.g. hi, ta, en")
@click.option("-g", "--gender", type=click.Choice(["female", "male"]), default="female", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--audio-format", type=click.Choice(["wav", "mp3", "ogg", "flac"]), default=None)
@click.option("--sample-rate", type=int, default=None)
@click.option("--stream", "streamed", is_flag=True, help="Over the WebSocket API, sentence by sentence (WAV only).")
@click.pass_context
def synthesize(
    ctx: click.Context,
    text: str,
    language: str,
    gender: str,
    output: Path,
    audio_format: str | None,
    sample_rate: int | None,
    streamed: bool,
) -> None:
    """Speak TEXT in a language into an audio file (its format from -o's suffix unless --audio-format)."""

    def streamed_action(settings: Settings) -> None:
        columns = (TextColumn("audio"), TextColumn("{task.fields[info]}"))
        with settings.client() as client, Progress(*columns, console=err, disable=settings.json_output) as progress:
            task = progress.add_task("audio", total=None, info="waiting for the first sentence")

            def on_chunk(seconds: float, chunk: Any) -> None:
                progress.update(task, info=f"{seconds:.2f} s received (sentence {chunk.text_seq})")

            result = client.synthesize_stream(
                text,
                language,
                output,
                gender=gender,  # type: ignore[arg-type]
                sample_rate=sample_rate or 16_000,
                on_chunk=on_chunk,
            )
        if settings.json_output:
            _emit_json(result)
        else:
            err.print(
                f"wrote {output} ({result.audio_seconds:.2f} s in {result.chunks} chunks, {result.sample_rate} Hz)"
            )

    def action(settings: Settings) -> None:
        if streamed:
            streamed_action(settings)
            return
        fmt = audio_format or (output.suffix.lstrip(".").lower() if output.suffix else "wav")
        with settings.client() as client:
            result = client.synthesize(text, language, gender=gender, audio_format=fmt, sampling_rate=sample_rate)  # type: ignore[arg-type]
        data = result.audio_bytes()
        output.write_bytes(data)
        summary = {"output": str(output), "bytes": len(data), "format": fmt, "sampleRate": result.config.sampling_rate}
        if settings.json_output:
            _emit_json(summary)
        else:
            err.print(f"wrote {output} ({len(data)} bytes, {fmt}, {result.config.sampling_rate} Hz)")

    _run(ctx, action)


@main.command()
@click.argument("texts", nargs=-1, required=True)
@click.option("--from", "source", required=True, help="source language, e.g. en")
@click.option("--to", "target", required=True, help="target language, e.g. es")
@click.pass_context
def translate(ctx: click.Context, texts: tuple[str, ...], source: str, target: str) -> None:
    """Translate each TEXT from one language to another."""

    def action(settings: Settings) -> None:
        with settings.client() as client:
            result = client.translate(list(texts), source, target)
        if settings.json_output:
            _emit_json(result)
            return
        table = Table(f"source ({source})", f"translation ({target})")
        for item in result.output:
            table.add_row(item.source, item.target)
        out.print(table)

    _run(ctx, action)


@main.command()
@click.argument("texts", nargs=-1, required=True)
@click.option("--from", "source", required=True)
@click.option("--to", "target", required=True)
@click.pass_context
def transliterate(ctx: click.Context, texts: tuple[str, ...], source: str, target: str) -> None:
    """Write each TEXT in another script."""

    def action(settings: Settings) -> None:
        with settings.client() as client:
            result = client.transliterate(list(texts), source, target)
        if settings.json_output:
            _emit_json(result)
            return
        table = Table("source", f"{target}")
        for item in result.output:
            table.add_row(item.source, ", ".join(item.target))
        out.print(table)

    _run(ctx, action)


@main.command("detect-language")
@click.argument("texts", nargs=-1, required=True)
@click.pass_context
def detect_language(ctx: click.Context, texts: tuple[str, ...]) -> None:
    """The language of each TEXT."""

    def action(settings: Settings) -> None:
        with settings.client() as client:
            result = client.detect_language(list(texts))
        if settings.json_output:
            _emit_json(result)
            return
        table = Table("text", "language", "score")
        for item in result.output:
            best = item.lang_prediction[0] if item.lang_prediction else None
            table.add_row(item.source, best.lang_code if best else "?", f"{best.lang_score:.2f}" if best else "")
        out.print(table)

    _run(ctx, action)


# --- stream -----------------------------------------------------------------------------------------------------
@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-l", "--language", default="en", show_default=True)
@click.option("--translate-to", default=None, help="Also translate each final into this language.")
@click.option("--realtime/--fast", default=True, show_default=True, help="Send at the audio's pace, or faster.")
@click.pass_context
def stream(ctx: click.Context, file: Path, language: str, translate_to: str | None, realtime: bool) -> None:
    """Stream FILE over the WebSocket API, showing partial transcripts live and each final as it comes."""

    async def run(settings: Settings) -> None:
        async with AsyncSpeechClient(config=settings.config()) as client:
            events = client.stream(file, language, translate_to=translate_to, realtime=realtime)
            if settings.json_output:
                async for event in events:
                    click.echo(event.model_dump_json(by_alias=True, exclude_none=True))
                return
            await _show_stream(events)

    def action(settings: Settings) -> None:
        asyncio.run(run(settings))

    _run(ctx, action)


async def _show_stream(events: Any) -> None:
    line = Text("…", style="dim")
    live_utterance = 0  # the utterance the live line shows: a final may come after the next one's partials
    with Live(line, console=out, refresh_per_second=12, transient=True) as live:
        async for event in events:
            if isinstance(event, Partial):
                live_utterance = event.utterance
                live.update(Text(event.text or "…", style="italic dim"))
            elif isinstance(event, Final):
                live.console.print(f"[bold][{event.start:6.2f}–{event.end:6.2f}][/] {event.text}")
                if event.utterance >= live_utterance:  # a late final leaves the next utterance's partial shown
                    live.update(Text("…", style="dim"))
            elif isinstance(event, TranslationEvent):
                live.console.print(f"           [cyan]{event.target_language}:[/] {event.translation}")
            elif isinstance(event, UtteranceError):  # that utterance's final (or translation) is lost; not the stream
                err.print(f"[yellow]warning: utterance {event.utterance}: {event.code}: {event.message}[/]")
            elif isinstance(event, End):
                resumed = f", resumed {events.resumes}×" if getattr(events, "resumes", 0) else ""
                seconds = f"{event.audio_seconds:.2f} s of audio, billed {event.billed_seconds:g} s"
                live.console.print(f"[dim]{seconds}{resumed}[/]")
            elif isinstance(event, StreamEvent):
                continue


# --- jobs -------------------------------------------------------------------------------------------------------
@main.group()
def jobs() -> None:
    """Batch transcription jobs: list, get, cancel, retry."""


def _job_table(items: list[Job]) -> Table:
    table = Table("job", "state", "source", "language", "progress", "audio", "created")
    for job in items:
        p = job.progress
        audio = f"{p.audio_seconds:.0f}/{p.total_audio_seconds:.0f} s" if p.total_audio_seconds else ""
        table.add_row(
            job.job_id,
            job.state.value,
            job.source,
            job.language or "",
            f"{p.fraction:.0%}",
            audio,
            job.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    return table


def _show_job(job: Job, as_json: bool) -> None:
    if as_json:
        _emit_json(job)
        return
    out.print(_job_table([job]))
    if job.error:
        out.print(f"[red]{job.error.code}[/]: {job.error.message}")
    for name, url in (job.results or {}).items():
        out.print(f"  {name}: {url}")


@jobs.command("list")
@click.option("--state", type=click.Choice(["queued", "running", "succeeded", "failed", "cancelled"]))
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.pass_context
def jobs_list(ctx: click.Context, state: str | None, limit: int) -> None:
    """This tenant's jobs, newest first."""

    def action(settings: Settings) -> None:
        with settings.client() as client:
            page = client.list_jobs(state, limit)
        if settings.json_output:
            _emit_json(page)
        else:
            out.print(_job_table(page.jobs))

    _run(ctx, action)


@jobs.command("get")
@click.argument("job_id")
@click.pass_context
def jobs_get(ctx: click.Context, job_id: str) -> None:
    """One job: state, progress, results or error."""
    _run(ctx, lambda s: _show_job(_with_client(s, lambda c: c.get_job(job_id)), s.json_output))


@jobs.command("cancel")
@click.argument("job_id")
@click.pass_context
def jobs_cancel(ctx: click.Context, job_id: str) -> None:
    """Stop a job."""
    _run(ctx, lambda s: _show_job(_with_client(s, lambda c: c.cancel_job(job_id)), s.json_output))


@jobs.command("retry")
@click.argument("job_id")
@click.pass_context
def jobs_retry(ctx: click.Context, job_id: str) -> None:
    """Run a failed or cancelled job again (only its unfinished chunks)."""
    _run(ctx, lambda s: _show_job(_with_client(s, lambda c: c.retry_job(job_id)), s.json_output))


def _with_client(settings: Settings, call: Callable[[SpeechClient], Job]) -> Job:
    with settings.client() as client:
        return call(client)


# --- catalog and usage ------------------------------------------------------------------------------------------
@main.command()
@click.pass_context
def models(ctx: click.Context) -> None:
    """The models the platform serves: task, languages, versions."""

    def action(settings: Settings) -> None:
        with settings.client() as client:
            result = client.models()
        if settings.json_output:
            _emit_json(result)
            return
        table = Table("task", "model", "languages", "versions")
        for model in result.models:
            pairs = [
                f"{p.get('sourceLanguage')}→{p.get('targetLanguage')}"
                for p in model.language_pairs
                if isinstance(p, dict)
            ]
            table.add_row(
                model.task,
                model.model,
                ", ".join(model.languages or pairs),
                ", ".join(f"{v.version} ({v.weight})" for v in model.versions),
            )
        out.print(table)

    _run(ctx, action)


@main.command()
@click.option("--from", "since", help="first day, YYYY-MM-DD")
@click.option("--to", "until", help="last day, YYYY-MM-DD")
@click.pass_context
def usage(ctx: click.Context, since: str | None, until: str | None) -> None:
    """This key's requests, errors, audio seconds and characters per day and task."""

    def action(settings: Settings) -> None:
        with settings.client() as client:
            result = client.usage(since, until)
        if settings.json_output:
            _emit_json(result)
            return
        table = Table("day", "task", "requests", "errors", "audio s", "characters", title=f"key {result.key_prefix}")
        for day in result.days:
            table.add_row(
                day.day, day.task, str(day.requests), str(day.errors), f"{day.audio_seconds:.1f}", str(day.characters)
            )
        out.print(table)

    _run(ctx, action)


if __name__ == "__main__":
    main()
