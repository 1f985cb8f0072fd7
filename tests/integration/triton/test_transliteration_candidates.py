"""Word-level transliteration on the real Triton model (ULCA isSentence: false + numSuggestions)."""

from __future__ import annotations

from speech_core.inference import InferenceClient, ModelRegistry


def test_latin_word_gets_ranked_devanagari_candidates(grpc_client: InferenceClient, registry: ModelRegistry) -> None:
    selection = registry.select("transliteration", source="en", target="hi")
    (bharat, namaste) = grpc_client.transliterate_words(selection, ["bharat", "namaste"], "en", "hi", 4)
    # the final schwa dropped first, the ITRANS reading with its virama next, then a lengthened vowel
    assert bharat == ["भरत", "भरत्", "भारत", "भारत्"]
    assert namaste[0] == "नमस्ते" and len(namaste) == len(set(namaste)) and 1 < len(namaste) <= 4


def test_one_suggestion_is_the_best_one(grpc_client: InferenceClient, registry: ModelRegistry) -> None:
    selection = registry.select("transliteration", source="en", target="hi")
    assert grpc_client.transliterate_words(selection, ["bharat"], "en", "hi", 1) == [["भरत"]]


def test_indic_word_gets_romanisations(grpc_client: InferenceClient, registry: ModelRegistry) -> None:
    selection = registry.select("transliteration", source="hi", target="en")
    (candidates,) = grpc_client.transliterate_words(selection, ["भारत"], "hi", "en", 5)
    assert candidates[0] == "bhArata" and "bhārata" in candidates and len(candidates) == len(set(candidates))


def test_sentence_level_calls_are_unchanged(grpc_client: InferenceClient, registry: ModelRegistry) -> None:
    selection = registry.select("transliteration", source="en", target="hi")
    assert grpc_client.transliterate(selection, ["namaste", "bhArata"], "en", "hi") == ["नमस्ते", "भारत"]
