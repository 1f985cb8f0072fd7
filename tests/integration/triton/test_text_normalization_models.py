"""The `itn` and `text_normalization` models on the real tritonserver, with NeMo's grammars compiled at set-up.

ITN (spoken -> written) is what `postProcessors: ["itn"]` does to ASR output; text normalization (written ->
spoken) is what TTS does to its text first. English and Hindi are served; Hindi ITN writes Devanagari digits.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from speech_core.errors import ErrorCode, InferenceError
from speech_core.inference import InferenceClient, ModelRegistry, ModelSelection, Task
from triton_cluster.launcher import MODEL_REPOSITORY, TritonServer, TritonStartupError

ASCII_DIGITS = re.compile(r"[0-9]")
DEVANAGARI_DIGITS = re.compile(r"[०-९]")


def itn(client: InferenceClient, registry: ModelRegistry, texts: list[str], language: str) -> list[str]:
    return client.normalize_texts(registry.select(Task.ITN, language=language), texts, language)


def tn(client: InferenceClient, registry: ModelRegistry, texts: list[str], language: str) -> list[str]:
    return client.normalize_texts(registry.select(Task.TEXT_NORMALIZATION, language=language), texts, language)


def test_english_itn_turns_spoken_numbers_into_digits(grpc_client: InferenceClient, registry: ModelRegistry) -> None:
    # Given what an English ASR writes (lower case, numbers in words), When ITN runs on a batch
    written = itn(
        grpc_client,
        registry,
        [
            "i paid two hundred and fifty rupees on the third of march",
            "go forward ten meters",
            "the meeting is at ten thirty a m",
            "there is nothing to change here",
        ],
        "en",
    )
    # Then numbers, currency and units are in written form, in order, and plain words stay as they were
    assert written[0] == "i paid ₹250 on 3 march"
    assert written[1] == "go forward 10 m"
    assert ASCII_DIGITS.search(written[2]) and "10:30" in written[2]
    assert written[3] == "there is nothing to change here"


def test_hindi_itn_turns_spoken_numbers_into_digits(grpc_client: InferenceClient, registry: ModelRegistry) -> None:
    # "I gave two hundred fifty rupees on the third of March"; "ten"
    written = itn(grpc_client, registry, ["मैंने तीन मार्च को दो सौ पचास रुपये दिए", "दस"], "hi")
    assert written[0] == "मैंने ३ मार्च को ₹२५० दिए"
    assert written[1] == "१०"
    assert all(DEVANAGARI_DIGITS.search(text) for text in written)


def test_english_text_normalization_spells_out_numbers_dates_and_currency(
    grpc_client: InferenceClient, registry: ModelRegistry
) -> None:
    spoken = tn(grpc_client, registry, ["I paid ₹250 on 3 March.", "It costs $12.50 at 10:30 am."], "en")
    assert not any(ASCII_DIGITS.search(text) for text in spoken), spoken
    assert spoken[0] == "I paid two hundred and fifty rupees on the third of march."
    assert "twelve dollars" in spoken[1] and "fifty cents" in spoken[1] and "ten thirty" in spoken[1]


def test_hindi_text_normalization_spells_out_numbers_and_currency(
    grpc_client: InferenceClient, registry: ModelRegistry
) -> None:
    (spoken,) = tn(grpc_client, registry, ["मैंने 3 मार्च को ₹250 दिए"], "hi")
    assert not ASCII_DIGITS.search(spoken) and not DEVANAGARI_DIGITS.search(spoken)
    assert "दो सौ पचास" in spoken and "तीन" in spoken and "रुप" in spoken


def test_the_model_refuses_a_language_it_has_no_grammar_for(grpc_client: InferenceClient) -> None:
    # Bypassing the registry (which refuses 'ta' first): the model answers a clear error, the client a typed one
    rogue = ModelSelection(service_id="x", task=Task.ITN, model="itn", version="1", limits={"max_text_chars": 100})
    with pytest.raises(InferenceError) as caught:
        grpc_client.normalize_texts(rogue, ["பத்து"], "ta")
    assert caught.value.code == ErrorCode.MODEL_FAILED
    assert "not available for language 'ta'" in caught.value.message


def test_a_model_whose_grammars_were_not_compiled_fails_to_load_instead_of_compiling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a repository with only the itn model and an empty grammar cache
    repository = tmp_path / "repository"
    shutil.copytree(MODEL_REPOSITORY / "itn", repository / "itn", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("SPEECH_GRAMMAR_CACHE", str(tmp_path / "empty-cache"))
    server = TritonServer(model_repository=repository, run_dir=tmp_path / "run", startup_timeout_s=60)
    # When the server starts, Then the model load fails at once, naming the set-up command (no grammar build)
    with pytest.raises(TritonStartupError) as caught:
        server.start()
    assert "make setup-triton" in str(caught.value)
    assert not (tmp_path / "empty-cache").exists() or not list((tmp_path / "empty-cache").rglob("*.far"))
