"""Compile the text-normalization grammars (NeMo WFSTs) once, at set-up, into a cache outside the clone.

The `itn` and `text_normalization` models (model_repository/) serve NVIDIA's `nemo-text-processing`
grammars: inverse text normalization (spoken -> written, "two hundred and fifty rupees" -> "₹250") for ASR
output, and text normalization (written -> spoken, "₹250 on 3 March" -> "two hundred and fifty rupees on the
third of march") before TTS. Building those grammars from NeMo's sources takes seconds (English ITN) to
minutes (English TN) and GBs of memory, so it must never happen at request time or at model load: this
module compiles each (kind, language) once and writes one FAR archive holding everything the model needs
at run time — the tagger (`tokenize_and_classify`), the verbalizer (`verbalize`) and, where the language has
one, the post-processor (`post_process`). The models only read these archives.

One addition to NeMo's data: English TN knows $, £, €, ₩… but not the rupee sign, which English text in
India writes everywhere ("₹250"), so the English money grammar is built with `₹` (and lower-case `inr`) as
rupees (set-up only: the archive carries it).

Cache: `$SPEECH_GRAMMAR_CACHE` or `~/.cache/speech-platform/nemo-grammars`, one folder per package version
and recipe (`nemo-text-processing-<v>_pynini-<v>_<RECIPE>`), so it survives fresh clones (CI clones anew) and
a version bump or a change here rebuilds. Idempotent: an archive that exists is kept; each is built in its
own process (Hindi ITN peaks at ~2 GB), written to a temporary name and renamed, under a lock, so two set-ups
running at once neither clash nor leave half a file.

Run with the Triton env's Python (it has nemo-text-processing and pynini):
    .venvs/triton/bin/python -m triton_cluster.text_grammars compile [--kinds itn,tn] [--languages en,hi]
    .venvs/triton/bin/python -m triton_cluster.text_grammars path      # the cache folder in use
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

#: what the models serve: ITN for ASR output, TN before TTS (the languages the platform speaks first)
KINDS = ("itn", "tn")
LANGUAGES = ("en", "hi")
#: ASR output is lower case (ITN); TTS input is what people type (TN)
INPUT_CASE = {"itn": "lower_cased", "tn": "cased"}


def cache_root() -> Path:
    """Where compiled grammars live, outside any clone: `$SPEECH_GRAMMAR_CACHE` or ~/.cache/speech-platform/…"""
    configured = os.environ.get("SPEECH_GRAMMAR_CACHE")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "speech-platform" / "nemo-grammars"


#: what this module adds to NeMo's grammars; bump it when that changes (the models' model.py names it too)
RECIPE = "r1"
#: English TN's major currencies lack the rupee sign (tab-separated: written form, name)
EXTRA_ENGLISH_CURRENCIES = "₹\trupee\ninr\tindian rupee\n"
CURRENCY_DATA = "data/money/currency_major.tsv"


def versioned_dir() -> Path:
    """The cache folder of the installed nemo-text-processing and pynini versions and of this recipe."""
    nemo, pynini = metadata.version("nemo-text-processing"), metadata.version("pynini")
    return cache_root() / f"nemo-text-processing-{nemo}_pynini-{pynini}_{RECIPE}"


def archive_path(kind: str, language: str, folder: Path | None = None) -> Path:
    return (folder or versioned_dir()) / f"{kind}-{language}.far"


def _add_rupee_sign(scratch: Path) -> None:
    """English TN's money tagger reads its currency list through module globals (`maj_singular`, and
    `get_abs_path` when MoneyFst is built): point both at a copy of the list with the rupee sign added, before
    the grammar is built (this process builds only en TN)."""
    import pynini
    from nemo_text_processing.text_normalization.en.taggers import money

    original = money.get_abs_path
    extended = scratch / "currency_major.tsv"
    extended.write_text(
        Path(original(CURRENCY_DATA)).read_text(encoding="utf-8").rstrip("\n") + "\n" + EXTRA_ENGLISH_CURRENCIES
    )
    money.get_abs_path = lambda rel_path: str(extended) if rel_path == CURRENCY_DATA else original(rel_path)
    money.maj_singular = pynini.string_file(str(extended))


def _build(kind: str, language: str, scratch: Path) -> dict[str, Any]:
    """NeMo's own grammar classes for (kind, language) -> the FSTs the model runs (tagger, verbalizer, post)."""
    scratch.mkdir(parents=True, exist_ok=True)
    if kind == "tn" and language == "en":
        _add_rupee_sign(scratch)
    if kind == "itn":
        from nemo_text_processing.inverse_text_normalization.inverse_normalize import InverseNormalizer

        normalizer: Any = InverseNormalizer(lang=language, input_case=INPUT_CASE[kind], cache_dir=str(scratch))
    else:
        from nemo_text_processing.text_normalization.normalize import Normalizer

        normalizer = Normalizer(input_case=INPUT_CASE[kind], lang=language, cache_dir=str(scratch))
    graphs = {"tokenize_and_classify": normalizer.tagger.fst, "verbalize": normalizer.verbalizer.fst}
    post = getattr(normalizer, "post_processor", None)
    if post is not None:
        graphs["post_process"] = post.fst
    return graphs


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def build_archive(kind: str, language: str, target: Path) -> None:
    """Build one archive (in this process: call it in a fresh one, as `compile_grammars` does)."""
    from pynini.export import export  # the Triton env's pynini (this module runs there)

    scratch = target.parent / f".build-{kind}-{language}"
    graphs = _build(kind, language, scratch)
    partial = target.with_suffix(".far.tmp")
    exporter = export.Exporter(str(partial))
    for name, fst in graphs.items():
        exporter[name] = fst.optimize()
    exporter.close()
    os.replace(partial, target)
    for leftover in scratch.glob("*"):
        leftover.unlink()
    with contextlib.suppress(OSError):
        scratch.rmdir()


def compile_grammars(kinds: tuple[str, ...] = KINDS, languages: tuple[str, ...] = LANGUAGES) -> list[Path]:
    """Every (kind, language) archive, compiled where missing, one process each; returns their paths."""
    folder = versioned_dir()
    done: list[Path] = []
    with _locked(folder):
        for kind in kinds:
            for language in languages:
                target = archive_path(kind, language, folder)
                if not target.is_file():
                    started = time.monotonic()
                    print(f"grammar {kind}-{language}: compiling (English TN takes minutes)…", flush=True)
                    subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
                        [sys.executable, "-m", "triton_cluster.text_grammars", "build", kind, language, str(target)],
                        check=True,
                    )
                    print(f"grammar {kind}-{language}: built in {time.monotonic() - started:.0f} s", flush=True)
                print(f"grammar {kind}-{language}: {target}")
                done.append(target)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triton_cluster.text_grammars", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="action", required=True)
    build = sub.add_parser("compile", help="compile the missing grammar archives into the cache")
    build.add_argument("--kinds", default=",".join(KINDS))
    build.add_argument("--languages", default=",".join(LANGUAGES))
    sub.add_parser("path", help="print the cache folder for the installed versions")
    one = sub.add_parser("build", help="(internal) build one archive in this process")
    one.add_argument("kind", choices=KINDS)
    one.add_argument("language")
    one.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    if args.action == "path":
        print(versioned_dir())
        return 0
    logging.getLogger("NeMo-text-processing").setLevel(logging.WARNING)
    if args.action == "build":
        build_archive(args.kind, args.language, args.target)
        return 0
    compile_grammars(tuple(args.kinds.split(",")), tuple(args.languages.split(",")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
