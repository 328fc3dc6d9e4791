"""PII redaction: what is found, what is left alone, and that redact -> restore round-trips."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ai.interface import Analysis, Priority, Sentiment, ThreadMessage, TicketText
from app.ai.redaction import (
    find_pii,
    iban_valid,
    luhn_valid,
    redact_texts,
    redact_values,
    restore,
    restore_value,
)


def kinds(text: str) -> list[str]:
    return [kind for _start, _end, kind in find_pii(text)]


# ---- examples ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Write to jane.doe+billing@example.co.uk today", "Write to [EMAIL_1] today"),
        ("Card 4111 1111 1111 1111, thanks", "Card [CARD_1], thanks"),
        ("Card 4111-1111-1111-1111", "Card [CARD_1]"),
        ("Amex 378282246310005.", "Amex [CARD_1]."),
        ("IBAN DE89 3704 0044 0532 0130 00 please", "IBAN [IBAN_1] please"),
        ("IBAN GB82WEST12345698765432.", "IBAN [IBAN_1]."),
        ("Call +33 6 12 34 56 78 after 5", "Call [PHONE_1] after 5"),
        ("Call 0612345678", "Call [PHONE_1]"),
        ("Call (030) 1234 5678", "Call [PHONE_1]"),
        ("Call 415-555-2671", "Call [PHONE_1]"),
        ("SSN 123-45-6789", "SSN [SSN_1]"),
        ("from 192.168.10.4 today", "from [IP_1] today"),
        # A card followed by another number keeps only the card.
        ("Card 4111 1111 1111 1111 2 items", "Card [CARD_1] 2 items"),
    ],
)
def test_redacts(text: str, expected: str) -> None:
    [redacted], redactions = redact_texts([text])
    assert redacted == expected
    assert restore(redacted, redactions) == text


@pytest.mark.parametrize(
    "text",
    [
        "Order 1234567812345678 did not arrive",  # 16 digits that fail Luhn: not a card
        "Since 2024-01-15, or 15.01.2024, or 01.02.2024",  # dates
        "Version 2.3.1 costs 1,234.56 EUR at 10:30",
        "Ticket #4521, order 12345678, id 123e4567-e89b-12d3-a456-426614174000",
        "Email me at the usual address",
        "",
    ],
)
def test_leaves_alone(text: str) -> None:
    [redacted], redactions = redact_texts([text])
    assert (redacted, redactions) == (text, {})


def test_wrong_check_digits_are_not_an_iban() -> None:
    # Its digits may still look like a phone number; what matters is that no IBAN is claimed.
    assert "IBAN" not in kinds("IBAN DE00 3704 0044 0532 0130 00")
    assert "IBAN" not in kinds("GB00WEST12345698765432")


def test_the_same_value_keeps_its_placeholder_across_texts() -> None:
    redacted, redactions = redact_texts(["a@example.com and b@example.com", "again a@example.com"])
    assert redacted == ["[EMAIL_1] and [EMAIL_2]", "again [EMAIL_1]"]
    assert redactions == {"[EMAIL_1]": "a@example.com", "[EMAIL_2]": "b@example.com"}


def test_placeholders_already_in_the_text_are_not_reused() -> None:
    texts = ["literal [EMAIL_1] here", "and x@example.com"]
    redacted, redactions = redact_texts(texts)
    assert redacted == ["literal [EMAIL_1] here", "and [EMAIL_2]"]
    assert [restore(text, redactions) for text in redacted] == texts


def test_restore_leaves_unknown_placeholders() -> None:
    assert restore("[EMAIL_7] and [CARD_1]", {"[CARD_1]": "4111111111111111"}) == "[EMAIL_7] and 4111111111111111"


def test_redact_values_walks_structs_and_restore_value_walks_answers() -> None:
    ticket = TicketText(
        subject="Refund to DE89370400440532013000",
        description="mail jane@example.com",
        messages=(ThreadMessage(author="customer", content="jane@example.com again"),),
    )
    [redacted_ticket, redacted_list], redactions = redact_values([ticket, ["call 0612345678"]])
    assert redacted_ticket == TicketText(
        subject="Refund to [IBAN_1]",
        description="mail [EMAIL_1]",
        messages=(ThreadMessage(author="customer", content="[EMAIL_1] again"),),
    )
    assert redacted_list == ["call [PHONE_1]"]

    answer = Analysis(
        summary="Refund to [IBAN_1]",
        priority=Priority(priority="high", confidence=0.9, reasoning="reach [EMAIL_1] or [PHONE_1]"),
        tags=["[EMAIL_1]"],
        sentiment=Sentiment(sentiment="neutral", score=0.0, emotions=[], urgency="low"),
    )
    restored = restore_value(answer, redactions)
    assert restored.summary == "Refund to DE89370400440532013000"
    assert restored.priority.reasoning == "reach jane@example.com or 0612345678"
    assert restored.tags == ["jane@example.com"]
    assert restored.sentiment == answer.sentiment


def test_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE88 3704 0044 0532 0130 00")
    assert not iban_valid("DE89")


# ---- properties --------------------------------------------------------------------------------


def with_luhn_digit(body: str) -> str:
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable: one check digit always fits")


def with_iban_check(country: str, bban: str) -> str:
    numeric = "".join(str(int(char, 36)) for char in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


cards = st.sampled_from(["4", "51", "37", "6011"]).flatmap(
    lambda prefix: st.text("0123456789", min_size=15 - len(prefix), max_size=15 - len(prefix)).map(
        lambda rest: with_luhn_digit(prefix + rest)
    )
)
ibans = st.builds(
    with_iban_check,
    st.sampled_from(["DE", "FR", "GB", "ES", "IT", "NL"]),
    st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=14, max_size=26),
)
emails = st.builds(
    "{}@{}.{}".format,
    st.from_regex(r"[a-z][a-z0-9._-]{0,15}", fullmatch=True).filter(lambda s: not s.endswith((".", "-"))),
    st.from_regex(r"[a-z][a-z0-9]{0,10}", fullmatch=True),
    st.sampled_from(["com", "org", "io", "de", "co.uk"]),
)
phones = st.builds(
    "+{} {} {}".format, st.sampled_from(["33", "49", "1"]), st.integers(100, 999), st.integers(100000, 9999999)
)
words = st.text("abcdefghijklmnopqrstuvwxyz ,;!?", min_size=0, max_size=12)
placeholder_lookalikes = st.builds(
    "[{}_{}]".format, st.sampled_from(["EMAIL", "CARD", "IBAN", "PHONE"]), st.integers(1, 3)
)
pii = st.one_of(cards, ibans, emails, phones)


@given(st.text())
def test_any_text_round_trips(text: str) -> None:
    [redacted], redactions = redact_texts([text])
    assert restore(redacted, redactions) == text


@given(st.lists(st.one_of(words, pii, placeholder_lookalikes), max_size=8))
def test_text_full_of_pii_round_trips_and_hides_it(fragments: list[str]) -> None:
    text = " ".join(fragments)
    [redacted], redactions = redact_texts([text])
    assert restore(redacted, redactions) == text
    for original in redactions.values():
        assert original not in redacted


@given(st.lists(st.one_of(cards, ibans, emails), min_size=1, max_size=4), words)
def test_cards_ibans_and_emails_are_always_found(secrets: list[str], filler: str) -> None:
    text = f"{filler} " + " and ".join(secrets) + "."
    [redacted], redactions = redact_texts([text])
    for secret in secrets:
        assert secret not in redacted
    assert restore(redacted, redactions) == text


@given(st.text("0123456789", min_size=16, max_size=16).filter(lambda digits: not luhn_valid(digits)))
def test_a_non_luhn_number_is_not_a_card(digits: str) -> None:
    assert "CARD" not in kinds(f"number {digits} here")


@given(st.lists(st.one_of(words, pii), max_size=5), st.lists(st.one_of(words, pii), max_size=5))
def test_values_round_trip_through_structs(first: list[str], second: list[str]) -> None:
    ticket = TicketText(subject=" ".join(first), description=" ".join(second))
    [redacted], redactions = redact_values([ticket])
    assert restore_value(redacted, redactions) == ticket
    assert "@" not in msgspec.json.encode(redacted).decode()  # only the e-mails had one
