"""The subscriber list: validation, the states and their changes, CSV import and the CLI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.config import Config
from publisher.errors import AddressError, PublisherError, StaleLinkError, SubscriberError
from publisher.mail import subscribers
from publisher.records import Script, Subscriber, SubscriberStatus
from publisher.store import Store

pytestmark = pytest.mark.engines

SECRET = b"a key for the import tests"

NOW = dt.datetime(2025, 12, 14, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LATER = NOW + dt.timedelta(days=1)
ACTIVE, PENDING, UNSUBSCRIBED = (
    SubscriberStatus.ACTIVE,
    SubscriberStatus.PENDING,
    SubscriberStatus.UNSUBSCRIBED,
)


def test_add_stores_a_normalised_active_subscriber(store: Store) -> None:
    added = subscribers.add(store, " Reader@Example.ORG ", Script.HANS, NOW, name="讀者")
    assert (added.email, added.script, added.status, added.name) == (
        "Reader@example.org",
        Script.HANS,
        ACTIVE,
        "讀者",
    )
    assert added.created == NOW and added.confirmed == NOW and added.unsubscribed is None
    assert subscribers.get(store, added.id) == added
    assert subscribers.by_email(store, "reader@EXAMPLE.org") == added


def test_addresses_are_unique_whatever_their_case(store: Store) -> None:
    subscribers.add(store, "reader@example.org", Script.HANT, NOW)
    with pytest.raises(SubscriberError, match="already on the list"):
        subscribers.add(store, "READER@example.org", Script.HANS, NOW)


def test_an_international_domain_is_stored_in_ascii(store: Store) -> None:
    added = subscribers.add(store, "reader@例子.公司", Script.HANT, NOW)
    assert added.email == "reader@xn--fsqu00a.xn--55qx5d"
    assert subscribers.by_email(store, "reader@例子.公司") == added


@pytest.mark.parametrize(
    "address",
    [
        "",
        "reader",
        "reader@",
        "@example.org",
        "reader@example",
        "a b@example.org",
        "Reader <reader@example.org>",
        "reader@example.org\r\nBcc: victim@example.org",
        "reader@example.org\nX: y",
        "讀者@example.org",  # needs SMTPUTF8, which not every relay has
        "reader@@example.org",
    ],
)
def test_bad_addresses_are_refused(store: Store, address: str) -> None:
    with pytest.raises(AddressError):
        subscribers.add(store, address, Script.HANT, NOW)
    assert subscribers.everyone(store) == []


def test_names_with_control_characters_are_refused(store: Store) -> None:
    with pytest.raises(PublisherError, match="control"):
        subscribers.add(store, "reader@example.org", Script.HANT, NOW, name="a\x00b")


WEEK = dt.timedelta(days=7)


def pend(store: Store, email: str, script: Script, now: dt.datetime) -> Subscriber:
    return subscribers.subscribe_pending(store, email, script, now, WEEK)


def confirm(store: Store, person: Subscriber, now: dt.datetime) -> Subscriber:
    """What following the confirm link mailed to `person` does."""
    return subscribers.confirm(store, person.id, subscribers.sign_up_stamp(person), now, WEEK)


def test_the_web_form_path_pending_then_confirmed(store: Store) -> None:
    pending = pend(store, "reader@example.org", Script.HANS, NOW)
    assert pending.status is PENDING and pending.confirmed is None
    assert subscribers.active(store) == []
    confirmed = confirm(store, pending, LATER)
    assert confirmed.status is ACTIVE and confirmed.confirmed == LATER
    assert subscribers.active(store) == [confirmed]
    assert confirm(store, pending, LATER + LATER.resolution) == confirmed


def test_a_pending_subscriber_may_change_script_an_active_one_is_left_alone(store: Store) -> None:
    pending = pend(store, "a@example.org", Script.HANS, NOW)
    again = pend(store, "a@example.org", Script.HANT, NOW)
    assert (again.id, again.script, again.status) == (pending.id, Script.HANT, PENDING)
    active = subscribers.add(store, "b@example.org", Script.HANS, NOW)
    assert pend(store, "B@example.org", Script.HANT, LATER) == active


def test_unsubscribe_keeps_the_record_and_is_idempotent(store: Store) -> None:
    person = subscribers.add(store, "reader@example.org", Script.HANT, NOW)
    gone = subscribers.unsubscribe(store, person.id, LATER)
    assert gone.status is UNSUBSCRIBED and gone.unsubscribed == LATER
    assert subscribers.unsubscribe(store, person.id, LATER + dt.timedelta(hours=1)) == gone
    assert subscribers.active(store) == []
    assert subscribers.get(store, person.id) == gone


def test_an_unsubscribed_person_cannot_be_added_or_confirmed_back(store: Store) -> None:
    person = pend(store, "reader@example.org", Script.HANT, NOW)
    subscribers.unsubscribe(store, person.id, NOW)
    with pytest.raises(SubscriberError, match="already on the list"):
        subscribers.add(store, "reader@example.org", Script.HANT, LATER)
    with pytest.raises(SubscriberError, match="unsubscribed"):
        confirm(store, person, LATER)  # an old confirm link
    assert subscribers.active(store) == []


def test_subscribing_again_makes_an_unsubscribed_person_pending(store: Store) -> None:
    person = subscribers.add(store, "reader@example.org", Script.HANT, NOW)
    subscribers.unsubscribe(store, person.id, NOW)
    again = pend(store, "reader@example.org", Script.HANS, LATER)
    assert (again.id, again.status, again.script) == (person.id, PENDING, Script.HANS)
    assert again.unsubscribed is None and again.confirmed is None
    assert confirm(store, again, LATER).status is ACTIVE


def test_the_confirm_link_of_an_earlier_sign_up_confirms_nothing(store: Store) -> None:
    """Issue 7.14: unsubscribed, then signed up again (perhaps by a stranger): the link from
    the first sign-up, kept in an old mail, must not confirm the second."""
    first = pend(store, "reader@example.org", Script.HANT, NOW)
    confirm(store, first, NOW)
    subscribers.unsubscribe(store, first.id, NOW)
    # The same second: the new sign-up still gets a time of its own, so a link of its own.
    second = pend(store, "reader@example.org", Script.HANT, NOW)
    assert second.signed_up is not None and first.signed_up is not None
    assert second.signed_up > first.signed_up
    with pytest.raises(StaleLinkError, match="an earlier sign-up"):
        confirm(store, first, LATER)
    assert (kept := subscribers.get(store, first.id)) and kept.status is PENDING
    assert confirm(store, second, LATER).status is ACTIVE


def test_a_confirm_link_expires_and_asking_again_begins_a_new_sign_up(store: Store) -> None:
    person = pend(store, "reader@example.org", Script.HANT, NOW)
    # Asked again within the week: the same sign-up, so the link already mailed stays good.
    assert pend(store, "reader@example.org", Script.HANT, NOW + WEEK).signed_up == person.signed_up
    late = NOW + WEEK + dt.timedelta(seconds=1)
    with pytest.raises(StaleLinkError, match="expired"):
        confirm(store, person, late)
    renewed = pend(store, "reader@example.org", Script.HANT, late)
    assert renewed.signed_up == late.replace(microsecond=0)
    with pytest.raises(StaleLinkError, match="an earlier sign-up"):
        confirm(store, person, late)
    assert confirm(store, renewed, late).status is ACTIVE
    # Confirmed people may follow their link again, however late: it changes nothing.
    assert confirm(store, renewed, late + 10 * WEEK).status is ACTIVE


def test_one_confirmation_mail_per_cool_down(store: Store) -> None:
    hour = dt.timedelta(hours=1)
    person = pend(store, "reader@example.org", Script.HANT, NOW)
    assert subscribers.claim_confirmation_mail(store, person, NOW, hour)
    assert not subscribers.claim_confirmation_mail(store, person, NOW + hour / 2, hour)
    assert not subscribers.claim_confirmation_mail(store, person, NOW + hour, hour)
    later = NOW + hour + dt.timedelta(seconds=1)
    assert subscribers.claim_confirmation_mail(store, person, later, hour)
    assert not subscribers.claim_confirmation_mail(store, person, later + hour / 2, hour)


def test_unknown_ids_are_errors(store: Store) -> None:
    assert subscribers.get(store, 99) is None
    with pytest.raises(SubscriberError, match="no subscriber"):
        subscribers.unsubscribe(store, 99, NOW)
    with pytest.raises(SubscriberError, match="no subscriber"):
        subscribers.confirm(store, 99, 0, NOW, WEEK)


def test_active_lists_only_active_people_in_order(store: Store) -> None:
    a = subscribers.add(store, "a@example.org", Script.HANT, NOW)
    pend(store, "b@example.org", Script.HANT, NOW)
    c = subscribers.add(store, "c@example.org", Script.HANS, NOW)
    d = subscribers.add(store, "d@example.org", Script.HANT, NOW)
    subscribers.unsubscribe(store, d.id, NOW)
    assert subscribers.active(store) == [a, c]


# -- CSV import ---------------------------------------------------------------------------------

PEOPLE = (
    "\ufeffemail,script,name\n"  # a spreadsheet's BOM and header row
    "one@example.org,zh-Hant,王小明\n"
    "two@example.org,ZH-HANS\n"
    "\n"
    "not an address,zh-Hant\n"
    "three@example.org,zh-CN\n"
    "four@example.org\n"
    "five@example.org,zh-Hans,x,extra\n"
    '"six@example.org","zh-Hans","Six, the ""sixth"""\n'
    "ONE@example.org,zh-Hans\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_adds_good_rows_and_reports_bad_ones_by_line(store: Store, tmp_path: Path) -> None:
    report = subscribers.import_csv(
        store, write(tmp_path / "people.csv", PEOPLE), NOW, secret=SECRET
    )
    assert [(s.email, s.script, s.name) for s in report.added] == [
        ("one@example.org", Script.HANT, "王小明"),
        ("two@example.org", Script.HANS, ""),
        ("six@example.org", Script.HANS, 'Six, the "sixth"'),
    ]
    assert [error.line for error in report.errors] == [5, 6, 7, 8]
    assert "edition 'zh-CN'" in report.errors[1].problem
    assert "got 1" in report.errors[2].problem
    assert report.unchanged == 1  # ONE@ is one@ again
    assert all(s.status is ACTIVE for s in subscribers.everyone(store))
    lines = report.describe()
    assert lines[0].startswith(f"{tmp_path / 'people.csv'}:5: ")
    assert lines[-1].endswith("3 added, 1 already subscribed, 0 left unsubscribed, 4 bad rows")


def test_names_that_would_mislead_are_refused_by_line(store: Store, tmp_path: Path) -> None:
    """A name greets the reader and shows in `status`: the same checks as a headline."""
    text = (
        "a@example.org,zh-Hant,\u202e王小明\n"
        "b@example.org,zh-Hant,陳\u2066大文\u2069\n"
        f"c@example.org,zh-Hant,{'長' * 201}\n"
        "d@example.org,zh-Hant,林美玲\n"
    )
    report = subscribers.import_csv(store, write(tmp_path / "p.csv", text), NOW, secret=SECRET)
    found = [(error.line, error.problem) for error in report.errors]
    assert [line for line, _ in found] == [1, 2, 3]
    assert "bidirectional control U+202E in the name at column 1" in found[0][1]
    assert "bidirectional control U+2066 in the name at column 2" in found[1][1]
    assert "longer than 200 characters" in found[2][1]
    assert [s.email for s in report.added] == ["d@example.org"]
    with pytest.raises(SubscriberError, match=r"U\+202E in the name"):
        subscribers.add(store, "e@example.org", Script.HANT, NOW, name="\u202e王")


def test_empty_cells_a_spreadsheet_adds_at_the_end_of_rows_are_ignored(
    store: Store, tmp_path: Path
) -> None:
    text = "email,script,name,,\none@example.org,zh-Hant,王小明,,\ntwo@example.org,zh-Hans,, \n"
    report = subscribers.import_csv(store, write(tmp_path / "people.csv", text), NOW, secret=SECRET)
    assert report.errors == ()
    assert [(s.email, s.script, s.name) for s in report.added] == [
        ("one@example.org", Script.HANT, "王小明"),
        ("two@example.org", Script.HANS, ""),
    ]


def test_importing_twice_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "people.csv", PEOPLE)
    subscribers.import_csv(store, path, NOW, secret=SECRET)
    before = subscribers.everyone(store)
    again = subscribers.import_csv(store, path, LATER, secret=SECRET)
    assert again.added == () and again.unchanged == 4
    assert subscribers.everyone(store) == before


def test_import_never_reactivates_an_unsubscribed_person(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "people.csv", "one@example.org,zh-Hant\n")
    (person,) = subscribers.import_csv(store, path, NOW, secret=SECRET).added
    subscribers.unsubscribe(store, person.id, NOW)
    report = subscribers.import_csv(store, path, LATER, secret=SECRET)
    assert report.kept_unsubscribed == ("one@example.org",)
    assert (kept := subscribers.get(store, person.id)) and kept.status is UNSUBSCRIBED


def test_an_unreadable_file_is_an_error(store: Store, tmp_path: Path) -> None:
    with pytest.raises(PublisherError, match=r"missing\.csv: no such file"):
        subscribers.import_csv(store, tmp_path / "missing.csv", NOW, secret=SECRET)


def test_a_file_not_in_utf8_imports_nothing_and_names_the_line(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes("one@example.org,zh-Hant,王\ntwo@example.org,zh-Hant,陳\n".encode("big5"))
    with pytest.raises(PublisherError, match=r"people.csv:1: not valid UTF-8"):
        subscribers.import_csv(store, path, NOW, secret=SECRET)
    assert subscribers.everyone(store) == []


def test_a_broken_quote_is_reported_on_its_line(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "people.csv", 'one@example.org,zh-Hant\n"two@example.org,zh-Hant')
    report = subscribers.import_csv(store, path, NOW, secret=SECRET)
    assert [s.email for s in report.added] == ["one@example.org"]
    assert report.errors[0].line == 2


def test_a_row_is_reported_by_the_line_it_starts_on(store: Store, tmp_path: Path) -> None:
    text = (
        "one@example.org,zh-Hant\n"
        '"two@example.org,zh-Hant\n'  # a quote never closed: it swallows the lines below
        "three@example.org,zh-Hant\n"
        "four@example.org,zh-Hant\n"
    )
    report = subscribers.import_csv(store, write(tmp_path / "people.csv", text), NOW, secret=SECRET)
    assert [s.email for s in report.added] == ["one@example.org"]
    assert [error.line for error in report.errors] == [2]
    quoted = 'five@example.org,zh-Hant,"Five\nlines"\nnot an address,zh-Hant,"a\nb"\n'
    report = subscribers.import_csv(store, write(tmp_path / "more.csv", quoted), NOW, secret=SECRET)
    assert [(s.email, s.name) for s in report.added] == [("five@example.org", "Five lines")]
    assert [error.line for error in report.errors] == [3]


# -- the command line ---------------------------------------------------------------------------


def run(config: Config, *args: str) -> int:
    return main(["--config", str(config.root / "config.toml"), *args])


def test_cli_add_list_remove(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "subscribers", "add", "a@example.org", "--edition", "zh-Hans") == 0
    assert run(config, "subscribers", "add", "b@example.org", "--name", "B") == 0
    assert run(config, "subscribers", "remove", "A@example.org") == 0
    capsys.readouterr()
    assert run(config, "subscribers", "list") == 0
    assert capsys.readouterr().out.splitlines() == [
        "a@example.org\tzh-Hans\tunsubscribed",
        "b@example.org\tzh-Hant\tactive\tB",  # scripts.default
    ]


def test_cli_errors_are_messages(config: Config, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(config, "subscribers", "add", "not-an-address") == 1
    assert "not-an-address" in capsys.readouterr().err
    assert run(config, "subscribers", "remove", "nobody@example.org") == 1
    assert "not on the list" in capsys.readouterr().err
    assert run(config, "subscribers", "add", "a@example.org", "--edition", "zh-Latn") == 1
    assert "'zh-Latn': no such edition; this site has zh-Hant or zh-Hans" in capsys.readouterr().err


def test_cli_import_reports_bad_rows(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "people.csv", PEOPLE)
    assert run(config, "subscribers", "import", str(path)) == 1
    out, err = capsys.readouterr()
    assert f"{path}:5: " in err and "3 added" in out
    with Store(config.storage) as store:
        assert len(subscribers.active(store)) == 3


@pytest.mark.parametrize(
    "command", [[], ["add"], ["import"], ["list"], ["remove"]], ids=lambda c: " ".join(c)
)
def test_every_subscribers_command_has_help(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["subscribers", *command, "--help"])
    assert exit.value.code == 0
    assert "usage: publisher subscribers" in capsys.readouterr().out
