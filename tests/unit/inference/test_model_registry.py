"""The model registry: validation, selection by language/pair/voice, and the weighted A/B split."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from speech_core.errors import ErrorCode, InferenceError, LanguageError
from speech_core.inference import Task, load_registry, parse_registry
from speech_core.inference.registry import REGISTRIES_DIR

REGISTRY_FILE = REGISTRIES_DIR / "local.yaml"


def _registry(*services: dict):
    return parse_registry({"schema_version": 1, "services": list(services)})


ASR = {"service_id": "asr-en", "task": "asr", "model": "asr", "versions": [{"version": "1"}], "languages": ["en"]}
ASR_HI = {
    "service_id": "asr-hi",
    "task": "asr",
    "model": "conformer_hi",
    "versions": [{"version": "3"}],
    "languages": ["hi", "en"],
    "limits": {"max_audio_seconds": 30},
}


def test_project_registry_file_is_valid_and_covers_every_task() -> None:
    registry = load_registry(REGISTRY_FILE)
    assert {s.task for s in registry.services} == set(Task)
    assert registry.supported_languages("tts") == sorted(
        ["as", "bn", "gu", "hi", "kn", "kok", "ml", "mr", "ne", "or", "pa", "sd", "si", "ta", "te", "ur", "en", "es"]
    )


def test_first_listed_service_for_a_language_wins() -> None:
    registry = _registry(ASR, ASR_HI)
    assert registry.select("asr", language="en").model == "asr"
    chosen = registry.select("asr", language="hi")
    assert (chosen.service_id, chosen.model, chosen.version) == ("asr-hi", "conformer_hi", "3")
    assert chosen.limits.max_audio_seconds == 30


def test_unsupported_language_lists_what_is_supported() -> None:
    with pytest.raises(LanguageError) as caught:
        _registry(ASR, ASR_HI).select("asr", language="ta")
    assert caught.value.code == ErrorCode.LANGUAGE_UNSUPPORTED
    assert caught.value.http_status == 400
    assert caught.value.details["supportedLanguages"] == ["en", "hi"]


def test_language_pairs_explicit_and_among() -> None:
    registry = _registry(
        {
            "service_id": "mt",
            "task": "translation",
            "model": "translation",
            "versions": [{"version": "1"}],
            "language_pairs": [{"source": "ur", "target": "hi"}],
        },
        {
            "service_id": "xlit",
            "task": "transliteration",
            "model": "xlit",
            "versions": [{"version": "1"}],
            "pairs_among": ["en", "hi", "ta"],
        },
    )
    assert registry.select("translation", source="ur", target="hi").model == "translation"
    assert registry.select("transliteration", source="ta", target="en").model == "xlit"
    for task, source, target in [
        ("translation", "hi", "ur"),
        ("transliteration", "hi", "hi"),
        ("transliteration", "hi", "bn"),
    ]:
        with pytest.raises(LanguageError) as caught:
            registry.select(task, source=source, target=target)
        assert caught.value.code == ErrorCode.LANGUAGE_PAIR_UNSUPPORTED
    assert registry.supported_pairs("transliteration") == ["en-hi", "en-ta", "hi-en", "hi-ta", "ta-en", "ta-hi"]


def test_voice_must_be_offered() -> None:
    registry = _registry(
        {
            "service_id": "tts",
            "task": "tts",
            "model": "tts",
            "versions": [{"version": "1"}],
            "languages": ["hi"],
            "voices": ["female"],
        }
    )
    assert registry.select("tts", language="hi", voice="female").model == "tts"
    with pytest.raises(LanguageError) as caught:
        registry.select("tts", language="hi", voice="male")
    assert caught.value.code == ErrorCode.VOICE_UNSUPPORTED
    assert caught.value.details["supportedVoices"] == ["female"]


def test_task_without_any_service_is_model_unavailable() -> None:
    with pytest.raises(InferenceError) as caught:
        _registry(ASR).select("vad")
    assert caught.value.code == ErrorCode.MODEL_UNAVAILABLE


AB = {
    "service_id": "tts-ab",
    "task": "tts",
    "model": "tts",
    "languages": ["en"],
    "voices": ["male"],
    "versions": [{"version": "1", "weight": 80}, {"version": "2", "weight": 20}],
}


def test_ab_split_follows_weights_at_random() -> None:
    registry = _registry(AB)
    rng = random.Random(7)
    counts = Counter(registry.select("tts", language="en", rng=rng).version for _ in range(10_000))
    # 80/20 split: 2000 expected for version 2, binomial sd = 40; 5 sd either side
    assert 1800 < counts["2"] < 2200 and counts["1"] + counts["2"] == 10_000


def test_ab_split_is_sticky_per_key_and_balanced_across_keys() -> None:
    registry = _registry(AB)
    first = [registry.select("tts", language="en", key=f"tenant-{i}").version for i in range(2000)]
    again = [registry.select("tts", language="en", key=f"tenant-{i}").version for i in range(2000)]
    assert first == again
    assert 300 < first.count("2") < 500  # ~400 expected


def test_zero_weight_version_is_never_chosen() -> None:
    registry = _registry({**AB, "versions": [{"version": "1", "weight": 0}, {"version": "2", "weight": 5}]})
    assert {registry.select("tts", language="en", rng=random.Random(i)).version for i in range(200)} == {"2"}


@pytest.mark.parametrize(
    "bad",
    [
        {**ASR, "versions": []},
        {**ASR, "versions": [{"version": "1", "weight": 0}]},
        {**ASR, "versions": [{"version": "1"}, {"version": "1"}]},
        {**ASR, "versions": [{"version": "1"}, {"version": "2"}, {"version": "3"}]},
        {**ASR, "languages": []},
        {**ASR, "task": "translation", "languages": []},
        {**AB, "voices": []},
        {**ASR, "task": "ocr"},
        {**ASR, "unexpected": 1},
    ],
)
def test_invalid_registry_is_rejected(bad: dict) -> None:
    with pytest.raises(ValueError, match="invalid model registry"):
        _registry(bad)


def test_duplicate_service_ids_are_rejected() -> None:
    with pytest.raises(ValueError, match="unique"):
        _registry(ASR, ASR)


@pytest.mark.parametrize("name", ["local", "production"])
def test_every_packaged_registry_validates(name):
    from speech_core.inference import load_packaged_registry, packaged_registry_names

    assert name in packaged_registry_names()
    registry = load_packaged_registry(name)
    for task in (
        Task.ASR,
        Task.TTS,
        Task.TRANSLATION,
        Task.TRANSLITERATION,
        Task.LANGUAGE_ID,
        Task.VAD,
        Task.ASR_STREAMING,
    ):
        assert registry.services_for(task), f"{name} has no {task} service"


def test_unknown_packaged_registry_is_refused():
    from speech_core.inference import load_packaged_registry

    with pytest.raises(ValueError, match="no packaged model registry"):
        load_packaged_registry("staging-gpu")
