"""Signed confirm/unsubscribe tokens: round trip, forgery, alteration, and where the key lives."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.config import Config
from publisher.errors import ConfigError, TokenError
from publisher.mail import tokens

SECRET = b"test secret, 32 bytes long......"
OTHER = b"another secret, also long enough."
ids = st.integers(min_value=0, max_value=2**63 - 1)
actions = st.sampled_from(sorted(tokens.ACTIONS))


@given(ids, actions)
def test_a_token_verifies_for_its_own_id_and_action(subscriber_id: int, action: str) -> None:
    token = tokens.make(SECRET, action, subscriber_id)
    assert re.fullmatch(r"[0-9A-Za-z._-]+", token), "must be safe in a URL and a mail subject"
    assert tokens.verify(SECRET, action, token) == subscriber_id


@given(ids, ids)
def test_a_preferences_token_carries_its_generation(subscriber_id: int, generation: int) -> None:
    token = tokens.make_bound(SECRET, tokens.PREFERENCES, subscriber_id, generation)
    assert re.fullmatch(r"[0-9A-Za-z._-]+", token)
    assert tokens.verify_bound(SECRET, tokens.PREFERENCES, token) == (subscriber_id, generation)
    # Claiming another (say, the current) generation is forging: the mac covers it.
    claimed = token.replace(f"{subscriber_id}.{generation}.", f"{subscriber_id}.{generation + 1}.")
    with pytest.raises(TokenError):
        tokens.verify_bound(SECRET, tokens.PREFERENCES, claimed)
    with pytest.raises(TokenError):
        tokens.verify_bound(OTHER, tokens.PREFERENCES, token)
    with pytest.raises(TokenError):
        tokens.verify(SECRET, "unsubscribe", token)


@given(ids)
def test_no_other_token_opens_the_preferences_page(subscriber_id: int) -> None:
    for action in tokens.ACTIONS:
        token = tokens.make(SECRET, action, subscriber_id)
        with pytest.raises(TokenError):
            tokens.verify_bound(SECRET, tokens.PREFERENCES, token)
        # Nor does an action token with a generation spliced in.
        with pytest.raises(TokenError):
            tokens.verify_bound(SECRET, tokens.PREFERENCES, token.replace(".", ".0.", 1))


@given(ids)
def test_a_token_for_one_action_is_refused_for_the_other(subscriber_id: int) -> None:
    token = tokens.make(SECRET, "bounce", subscriber_id)
    with pytest.raises(TokenError):
        tokens.verify(SECRET, "unsubscribe", token)


@given(ids, ids)
def test_a_confirm_token_is_bound_to_its_sign_up(subscriber_id: int, signed_up: int) -> None:
    """Issue 7.14: the sign-up time is in the signed part, so the link of one sign-up cannot
    be made into the link of the next, nor into a preferences link."""
    token = tokens.make_bound(SECRET, tokens.CONFIRM, subscriber_id, signed_up)
    assert tokens.verify_bound(SECRET, tokens.CONFIRM, token) == (subscriber_id, signed_up)
    later = token.replace(f"{subscriber_id}.{signed_up}.", f"{subscriber_id}.{signed_up + 1}.")
    for action, forged in ((tokens.CONFIRM, later), (tokens.PREFERENCES, token)):
        with pytest.raises(TokenError):
            tokens.verify_bound(SECRET, action, forged)


@given(ids, actions)
def test_a_token_made_with_another_secret_is_refused(subscriber_id: int, action: str) -> None:
    with pytest.raises(TokenError):
        tokens.verify(SECRET, action, tokens.make(OTHER, action, subscriber_id))


@given(ids, actions, st.data())
def test_any_altered_character_is_refused(
    subscriber_id: int, action: str, data: st.DataObject
) -> None:
    token = tokens.make(SECRET, action, subscriber_id)
    position = data.draw(st.integers(0, len(token) - 1))
    replacement = data.draw(st.characters().filter(lambda char: char != token[position]))
    altered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(TokenError):
        tokens.verify(SECRET, action, altered)


@given(ids, actions, st.text(min_size=1, max_size=3))
def test_extended_or_truncated_tokens_are_refused(
    subscriber_id: int, action: str, extra: str
) -> None:
    token = tokens.make(SECRET, action, subscriber_id)
    for altered in (token + extra, token[: -len(extra)], extra + token):
        with pytest.raises(TokenError):
            tokens.verify(SECRET, action, altered)


@given(st.text(max_size=60))
def test_arbitrary_text_is_refused(text: str) -> None:
    with pytest.raises(TokenError):
        tokens.verify(SECRET, "unsubscribe", text)


def test_another_spelling_of_the_same_id_is_refused() -> None:
    mac = tokens.make(SECRET, "unsubscribe", 7).split(".")[1]
    for spelling in ("07", " 7", "7 ", "+7", "٧", "7_0"):
        with pytest.raises(TokenError):
            tokens.verify(SECRET, "unsubscribe", f"{spelling}.{mac}")


def test_another_subscribers_token_does_not_verify_as_mine() -> None:
    mac_of_42 = tokens.make(SECRET, "unsubscribe", 42).split(".")[1]
    with pytest.raises(TokenError):
        tokens.verify(SECRET, "unsubscribe", f"43.{mac_of_42}")


def test_unknown_actions_are_a_bug() -> None:
    with pytest.raises(ValueError):
        tokens.make(SECRET, "delete", 1)
    with pytest.raises(ValueError):  # an unbound confirm token would confirm any sign-up
        tokens.make(SECRET, tokens.CONFIRM, 1)


# -- the key ------------------------------------------------------------------------------------


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tokens.ENVIRONMENT_VARIABLE, raising=False)


def test_the_environment_wins(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(tokens.ENVIRONMENT_VARIABLE, "s" * 40)
    assert tokens.load_secret(config) == b"s" * 40
    assert not config.path(config.digest.secret_file).exists()


def test_a_short_environment_secret_is_refused(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(tokens.ENVIRONMENT_VARIABLE, "short")
    with pytest.raises(ConfigError, match="PUBLISHER_SECRET"):
        tokens.load_secret(config)


@pytest.mark.usefixtures("no_env")
def test_the_key_file_is_made_once_with_mode_0600(config: Config) -> None:
    first = tokens.load_secret(config)
    path = config.path(config.digest.secret_file)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert tokens.load_secret(config) == first
    assert list(path.parent.glob(".publisher.key.*")) == [], "no temporary file is left"


@pytest.mark.usefixtures("no_env")
def test_an_existing_key_file_is_used_as_it_is(config: Config) -> None:
    path = config.path(config.digest.secret_file)
    path.write_text("k" * 64 + "\n")
    path.chmod(0o600)
    assert tokens.load_secret(config) == b"k" * 64


@pytest.mark.usefixtures("no_env")
def test_an_empty_key_file_is_an_error(config: Config) -> None:
    config.path(config.digest.secret_file).write_text("")
    with pytest.raises(ConfigError, match="secret_file"):
        tokens.load_secret(config)


@pytest.mark.usefixtures("no_env")
def test_the_key_never_goes_into_config_toml(config: Config) -> None:
    key = tokens.load_secret(config)
    assert key not in (config.root / "config.toml").read_bytes()


def test_the_key_file_is_relative_to_the_config(tmp_path: Path, config: Config) -> None:
    assert config.path(config.digest.secret_file) == (tmp_path / "publisher.key").resolve()
