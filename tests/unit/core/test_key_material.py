from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from speech_core.keys import KeyLimits, Scope
from speech_core.keys.key_material import display_prefix, hash_key, hashes_match, new_key


def test_new_keys_are_unique_and_well_formed():
    keys = [new_key() for _ in range(200)]
    assert len({plaintext for plaintext, _ in keys}) == 200
    for plaintext, prefix in keys:
        assert display_prefix(plaintext) == prefix and plaintext.startswith(prefix + "_")
        assert len(plaintext) == len(prefix) + 1 + 40


@given(st.text(max_size=80))
def test_arbitrary_text_is_never_mistaken_for_a_key(text):
    # only strings matching the exact key shape yield a prefix
    prefix = display_prefix(text)
    assert prefix is None or text.startswith(prefix + "_")


def test_hash_depends_on_pepper_and_key():
    plaintext, _ = new_key()
    assert hashes_match(hash_key(plaintext, b"p1"), hash_key(plaintext, b"p1"))
    assert not hashes_match(hash_key(plaintext, b"p1"), hash_key(plaintext, b"p2"))
    assert not hashes_match(hash_key(plaintext, b"p1"), hash_key(plaintext + "x", b"p1"))


def test_scope_lists():
    assert Scope.parse_list("all") == list(Scope)
    assert Scope.parse_list(" asr, translation ") == [Scope.ASR, Scope.TRANSLATION]
    with pytest.raises(ValueError):
        Scope.parse_list("asr,teleport")


def test_default_limits_are_the_documented_ones():
    assert KeyLimits() == KeyLimits(per_minute=60, per_hour=1000, per_day=10000)
    with pytest.raises(ValueError):
        KeyLimits(per_minute=0)
