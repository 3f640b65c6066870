import random

import pytest
from hypothesis import given, strategies as st

from rules.passwords import (
    COMMON_PASSWORDS,
    check_password,
    generate_temporary_password,
    has_cyrillic,
    is_acceptable,
)


def unmet(password):
    return {check.code for check in check_password(password) if not check.met}


@pytest.mark.parametrize("password,broken", [
    ("", {"length", "kinds", "repeats", "common"}),
    ("aB3", {"length"}),
    ("abcdef", {"kinds"}),
    ("ABCDEF", {"kinds"}),
    ("123456", {"kinds"}),
    ("aaaBc1", {"repeats"}),
    ("abcab1a", {"repeats"}),
    ("Qwerty123", {"common"}),
    ("1q2w3e4r", {"common"}),
    ("x" * 10 + "Y", {"repeats"}),
])
def test_broken_rules_are_named(password, broken):
    assert unmet(password) == broken


@pytest.mark.parametrize("password", ["aB3def", "Kyiv-2026!", "пароль1", "ab12cd", "a-b_c+",
                                      "Demo-2026"])
def test_good_passwords(password):
    assert is_acceptable(password)


def test_case_sensitive_repeats():
    assert is_acceptable("aAaA1b")  # 'a' twice and 'A' twice: allowed
    assert not is_acceptable("aAaAa1")


def test_long_passphrases_and_limit():
    phrase = "".join(random.Random(1).sample("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*()-=", 64))
    assert len(phrase) == 64 and is_acceptable(phrase)
    assert "max_length" in unmet(("abcdefghijKLMNOPQRST0123456789" * 5)[:129])


@given(st.text(min_size=0, max_size=40))
def test_acceptable_means_every_rule(password):
    checks = check_password(password)
    assert is_acceptable(password) == all(c.met for c in checks)
    if is_acceptable(password):
        assert len(password) >= 6
        assert all(password.count(ch) <= 2 for ch in password)


@given(st.integers(0, 2**32))
def test_temporary_passwords_meet_the_rules(seed):
    password = generate_temporary_password(random.Random(seed))
    assert is_acceptable(password) and not set(password) & set("0O1lI")


def test_common_list_and_cyrillic():
    assert "qwerty123" in COMMON_PASSWORDS
    assert has_cyrillic("Пароль") and has_cyrillic("gfhjkm1ф") and not has_cyrillic("Parol-1")
