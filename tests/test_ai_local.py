"""The offline engine: answers with no network, repeatably, in the ticket's language, above baseline."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from app.ai.interface import (
    OPERATIONS,
    AIResult,
    Candidate,
    EngineSettings,
    IntentDefinition,
    ThreadMessage,
    TicketText,
)
from app.ai.local import LocalEngine
from app.ai.local import engine as engine_module
from app.ai.local.engine import LOCAL_MODEL, warm_up_sync
from app.ai.local.evaluation import EvalReport, evaluate, load_eval_set, macro_f1
from app.ai.local.intent import DEFAULT_TAXONOMY
from app.ai.local.language import SUPPORTED_LANGUAGES, detect_language
from app.ai.local.sentiment import sentiment_label
from app.ai.local.text import estimate_tokens, split_sentences
from app.ai.local.workers import run_cpu

SETTINGS = EngineSettings()
DEFAULT_INTENTS = [intent.name for intent in DEFAULT_TAXONOMY]

TICKETS_BY_LANGUAGE: dict[str, TicketText] = {
    "en": TicketText("Charged twice this month", "I see two charges for the same plan on my card. Please refund one of them."),
    "es": TicketText("No puedo iniciar sesión", "Desde ayer no puedo entrar en mi cuenta y necesito acceder hoy mismo para atender a los clientes."),
    "fr": TicketText("Facture erronée", "La facture de mars indique un montant trop élevé. Pouvez-vous la corriger, s'il vous plaît ?"),
    "de": TicketText("App stürzt ab", "Die Android-App stürzt jedes Mal ab, wenn ich einen Anhang öffnen will. Bitte helfen Sie mir."),
    "it": TicketText("Spedizione in ritardo", "Il mio ordine doveva arrivare lunedì ma il tracciamento è fermo da giorni. Potete verificare?"),
    "pt": TicketText("Webhook parou", "Os webhooks pararam de chegar ao nosso servidor hoje de manhã. Podem verificar o que aconteceu?"),
}

THREAD = TicketText(
    subject="Export keeps failing",
    description="Hi, our nightly CSV export has failed three nights in a row. The downloaded file is empty.",
    messages=(
        ThreadMessage("agent", "Thanks for the report. Which fields do you export?"),
        ThreadMessage("customer", "All default fields plus two custom ones. It worked fine until Monday."),
        ThreadMessage("agent", "We found a bug with custom fields and deployed a fix. Could you try again tonight?"),
    ),
)

ARTICLES = [
    Candidate("refunds", "Refunds and double charges\nIf you were charged twice, we refund the duplicate charge to the original card within five days."),
    Candidate("sso", "Setting up single sign-on with Okta\nCreate a SAML app in Okta and paste the metadata URL in Settings."),
    Candidate("dark-mode", "Changing the theme\nThe web app supports light and dark themes under Preferences."),
]


@pytest.fixture(scope="module")
def engine() -> LocalEngine:
    warm_up_sync()  # loads the weights once for the module (about a second)
    return LocalEngine()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Refuse every connection that leaves the machine; record the attempts."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_create_connection = socket.create_connection

    def is_loopback(address: Any) -> bool:
        if isinstance(address, (str, bytes)):  # AF_UNIX path
            return True
        host = address[0]
        if host in ("localhost", ""):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if not is_loopback(address):
            attempts.append(address)
            raise ConnectionRefusedError(f"network disabled in this test: {address!r}")
        return real_connect(self, address)

    def guarded_create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        if not is_loopback(address):
            attempts.append(address)
            raise ConnectionRefusedError(f"network disabled in this test: {address!r}")
        return real_create_connection(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "create_connection", guarded_create_connection)
    yield attempts


async def all_operations(engine: LocalEngine, ticket: TicketText) -> dict[str, AIResult[Any]]:
    return {
        "summarize": await engine.summarize(ticket, SETTINGS),
        "sentiment": await engine.sentiment(f"{ticket.subject}\n{ticket.description}", SETTINGS),
        "priority": await engine.priority(ticket, SETTINGS),
        "tags": await engine.tags(ticket, ["billing", "refund", "login", "shipping"], SETTINGS),
        "replies": await engine.replies(ticket, ARTICLES[0], SETTINGS),
        "classify": await engine.classify(ticket, list(DEFAULT_TAXONOMY), SETTINGS),
        "improve": await engine.improve("hello ,we we fixed it.thanks", "friendly", SETTINGS),
        "rank": await engine.rank(ticket, ARTICLES, "article", SETTINGS),
        "analyze": await engine.analyze(ticket, ["billing", "refund"], SETTINGS),
        "embed": await engine.embed(["one text", "another text"], SETTINGS),
    }


def encoded(result: AIResult[Any]) -> bytes:
    return msgspec.json.encode(result)


# ---- offline, usage, determinism ---------------------------------------------------------------


async def test_every_operation_answers_with_the_network_cut(engine: LocalEngine, no_network: list[Any]) -> None:
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # the guard itself works
    no_network.clear()

    results = await all_operations(engine, THREAD)

    assert set(results) == set(OPERATIONS)
    assert no_network == []
    for operation, result in results.items():
        assert result.model == LOCAL_MODEL
        assert len(result.usage) == 1, operation
        usage = result.usage[0]
        assert usage.operation == operation
        assert usage.model == LOCAL_MODEL
        assert usage.cost_usd == 0.0
        assert usage.prompt_tokens > 0
        assert usage.completion_tokens >= (0 if operation == "embed" else 1)


COLD_START_OFFLINE = """
import asyncio, socket

def refuse(*args, **kwargs):
    raise ConnectionRefusedError("network disabled")

socket.socket.connect = refuse
socket.create_connection = refuse

from app.ai.interface import EngineSettings, TicketText
from app.ai.local.engine import LocalEngine, warm_up

async def main() -> None:
    await warm_up()
    result = await LocalEngine().analyze(TicketText("Kündigung", "Bitte kündigen Sie mein Abo."), [], EngineSettings())
    print(result.value.sentiment.sentiment)

asyncio.run(main())
"""


def test_a_cold_start_loads_every_model_from_the_installed_packages() -> None:
    """Nothing is fetched at first use: a fresh process with no network warms up and answers."""
    completed = subprocess.run(
        [sys.executable, "-c", COLD_START_OFFLINE],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() in ("positive", "neutral", "negative")


async def test_same_input_gives_the_same_output(engine: LocalEngine) -> None:
    first = await all_operations(engine, TICKETS_BY_LANGUAGE["es"])
    second = await all_operations(engine, TICKETS_BY_LANGUAGE["es"])
    for operation in OPERATIONS:
        assert encoded(first[operation]) == encoded(second[operation]), operation


async def test_tags_do_not_depend_on_the_order_of_existing_tags(engine: LocalEngine) -> None:
    ticket = TICKETS_BY_LANGUAGE["en"]
    existing = ["billing", "refund", "login", "shipping", "invoice", "outage"]
    forward = await engine.tags(ticket, existing, SETTINGS)
    backward = await engine.tags(ticket, list(reversed(existing)), SETTINGS)
    assert forward.value == backward.value


async def test_cpu_work_runs_off_the_event_loop(engine: LocalEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real_run_cpu = engine_module.run_cpu

    async def spying_run_cpu(function: Any, *args: Any) -> Any:
        def recorded(*inner: Any) -> Any:
            threads.append(threading.current_thread().name)
            return function(*inner)

        return await real_run_cpu(recorded, *args)

    monkeypatch.setattr(engine_module, "run_cpu", spying_run_cpu)
    await asyncio.gather(*(engine.analyze(ticket, [], SETTINGS) for ticket in TICKETS_BY_LANGUAGE.values()))
    assert len(threads) == len(TICKETS_BY_LANGUAGE)
    assert threading.main_thread().name not in threads
    assert await run_cpu(lambda: threading.current_thread() is not threading.main_thread())


# ---- shapes -------------------------------------------------------------------------------------


async def test_sentiment_label_follows_the_score_thresholds(engine: LocalEngine) -> None:
    texts = [f"{row.subject}\n{row.description}" for row in load_eval_set()[::4]]
    texts += ["Thank you so much, you are wonderful!", "This is a disaster, nothing works!!", "What is the VAT rate?"]
    for text in texts:
        result = (await engine.sentiment(text, SETTINGS)).value
        assert -1.0 <= result.score <= 1.0
        assert (result.sentiment == "positive") == (result.score >= 0.3), text
        assert (result.sentiment == "negative") == (result.score <= -0.3), text
        assert result.urgency in ("low", "medium", "high")
        assert len(set(result.emotions)) == len(result.emotions)


@given(st.floats(min_value=-1.0, max_value=1.0, allow_nan=False))
def test_sentiment_label_boundaries(score: float) -> None:
    label = sentiment_label(score)
    assert (label == "positive") == (score >= 0.3)
    assert (label == "negative") == (score <= -0.3)


async def test_tags_are_lowercase_deduplicated_and_prefer_existing(engine: LocalEngine) -> None:
    ticket = TicketText(
        "Refund for a double charge", "You charged my card twice for the Pro plan. I want the duplicate refunded."
    )
    result = (await engine.tags(ticket, ["Billing", "billing", " Refund ", "Login", "Feature Request"], SETTINGS)).value
    assert result.tags
    assert len(result.tags) <= 5
    assert all(tag == tag.lower() and tag.strip() == tag for tag in result.tags)
    assert len(set(result.tags)) == len(result.tags)
    assert set(result.tags) <= {"billing", "refund", "login", "feature-request"}
    assert "refund" in result.tags


async def test_tags_without_existing_tags_come_from_keywords(engine: LocalEngine) -> None:
    ticket = TicketText("Webhook signature invalid", "Webhook signature verification fails since the secret rotation.")
    tags = (await engine.tags(ticket, [], SETTINGS)).value.tags
    assert 1 <= len(tags) <= 5
    assert all(tag == tag.lower() for tag in tags)
    assert any("webhook" in tag or "signature" in tag for tag in tags)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
async def test_replies_are_in_the_ticket_language_with_two_tones(engine: LocalEngine, language: str) -> None:
    result = (await engine.replies(TICKETS_BY_LANGUAGE[language], None, SETTINGS)).value
    tones = {draft.tone for draft in result.suggestions}
    assert len(result.suggestions) >= 2
    assert len(tones) >= 2
    assert {draft.length for draft in result.suggestions} == {"concise", "detailed"}
    assert len({draft.text for draft in result.suggestions}) == len(result.suggestions)
    for draft in result.suggestions:
        assert detect_language(draft.text).language == language, draft.text


async def test_replies_use_the_article_and_the_org_tone(engine: LocalEngine) -> None:
    settings = EngineSettings(reply_tone="professional")
    result = (await engine.replies(TICKETS_BY_LANGUAGE["en"], ARTICLES[0], settings)).value
    assert result.suggestions[0].tone == "professional"
    assert all("Refunds and double charges" in draft.text for draft in result.suggestions)
    detailed = next(draft for draft in result.suggestions if draft.length == "detailed")
    assert "within five days" in detailed.text


async def test_classify_answers_from_the_given_taxonomy(engine: LocalEngine) -> None:
    custom = [
        IntentDefinition("billing", "Invoices, charges, refunds and payment methods"),
        IntentDefinition("technical", "Bugs, errors, crashes and outages"),
        IntentDefinition("sales", "Pricing questions and plan upgrades"),
    ]
    crash = TicketText("App crashes", "The iOS app crashes every time I open a ticket with an attachment.")
    result = (await engine.classify(crash, custom, SETTINGS)).value
    assert result.intent == "technical"
    assert 0.0 <= result.confidence <= 1.0
    assert result.reasoning

    default = (await engine.classify(TICKETS_BY_LANGUAGE["de"], [], SETTINGS)).value
    assert default.intent in DEFAULT_INTENTS
    assert default.detectedLanguage == "de"


@pytest.mark.parametrize(
    ("subject", "description", "intent"),
    [
        ("Bitte kündigen", "Bitte kündigen Sie mein Abo zum Monatsende.", "cancel_request"),
        (
            "Refund or chargeback",
            "I cancelled last month and you charged me again. Refund it or I go to my bank.",
            "cancel_escalate",
        ),
        ("Pregunta", "Si cancelo ahora, ¿puedo seguir usando la cuenta hasta fin de mes?", "cancel_info"),
        ("Abbonamento in pausa", "Il mio abbonamento è in pausa: quando riparte?", "pause_active"),
        ("Exportação", "Como exporto os relatórios em PDF?", "not_cancel"),
    ],
)
async def test_classify_reads_the_cancellation_intents(
    engine: LocalEngine, subject: str, description: str, intent: str
) -> None:
    result = (await engine.classify(TicketText(subject, description), list(DEFAULT_TAXONOMY), SETTINGS)).value
    assert result.intent == intent


async def test_improve_fixes_spacing_repeats_capitals_and_frames_the_reply(engine: LocalEngine) -> None:
    draft = "we  have have fixed the export .it should work now!!  let us know"
    text = (await engine.improve(draft, "professional", SETTINGS)).value.text
    assert "have have" not in text
    assert "  " not in text
    assert " ." not in text and "!!" not in text
    assert text.startswith("Hello,")
    assert "We have fixed the export. It should work now." in text
    assert text.rstrip().endswith("The support team")

    french_draft = "Bonjour, nous nous occupons de votre demande ! Cordialement"
    french = (await engine.improve(french_draft, None, SETTINGS)).value.text
    assert "nous nous" in french.lower()  # a grammatical repeat stays
    assert french.count("Bonjour") == 1 and french.count("Cordialement") == 1


async def test_rank_puts_the_matching_article_first_and_drops_the_rest(engine: LocalEngine) -> None:
    ranked = (await engine.rank(TICKETS_BY_LANGUAGE["en"], ARTICLES, "article", SETTINGS)).value.ranked
    assert ranked and ranked[0].id == "refunds"
    assert "dark-mode" not in [item.id for item in ranked]
    assert all(0.0 <= item.relevance <= 1.0 for item in ranked)
    assert "charged" in ranked[0].reasoning or "refund" in ranked[0].reasoning

    unrelated = TicketText("Dashboard colours", "Can I change the colour of the charts in the sales dashboard?")
    cross_lingual = (await engine.rank(TICKETS_BY_LANGUAGE["es"], ARTICLES, "article", SETTINGS)).value.ranked
    assert [item.id for item in cross_lingual if item.relevance > 0.5] in ([], ["sso"])
    assert (await engine.rank(unrelated, [ARTICLES[1]], "article", SETTINGS)).value.ranked == []


async def test_rank_blends_the_prior(engine: LocalEngine) -> None:
    plain = [Candidate("a", ARTICLES[0].text), Candidate("b", ARTICLES[0].text)]
    boosted = [Candidate("a", ARTICLES[0].text, prior=0.0), Candidate("b", ARTICLES[0].text, prior=1.0)]
    plain_ranked = (await engine.rank(TICKETS_BY_LANGUAGE["en"], plain, "ticket", SETTINGS)).value.ranked
    boosted_ranked = (await engine.rank(TICKETS_BY_LANGUAGE["en"], boosted, "ticket", SETTINGS)).value.ranked
    assert [item.id for item in plain_ranked] == ["a", "b"]  # equal scores: ordered by id
    assert boosted_ranked[0].id == "b"


async def test_summary_of_a_thread_names_problem_latest_status_and_next_step(engine: LocalEngine) -> None:
    summary = (await engine.summarize(THREAD, SETTINGS)).value.summary
    lines = summary.splitlines()
    assert lines[0].startswith("Problem:") and "export" in lines[0].lower()
    assert lines[1].startswith("Latest (Agent):") and "try again tonight" in lines[1]
    assert lines[2] == "Next step: Wait for the customer to answer the agent's question."
    assert "Hi," not in summary


async def test_summary_is_written_in_the_ticket_language(engine: LocalEngine) -> None:
    summary = (await engine.summarize(TICKETS_BY_LANGUAGE["fr"], SETTINGS)).value.summary
    assert summary.startswith("Problème:")
    assert "Prochaine étape:" in summary


async def test_analyze_matches_the_single_operations(engine: LocalEngine) -> None:
    ticket = TICKETS_BY_LANGUAGE["en"]
    analysis = (await engine.analyze(ticket, ["billing", "refund"], SETTINGS)).value
    assert analysis.summary == (await engine.summarize(ticket, SETTINGS)).value.summary
    assert analysis.priority == (await engine.priority(ticket, SETTINGS)).value
    assert analysis.tags == (await engine.tags(ticket, ["billing", "refund"], SETTINGS)).value.tags
    assert analysis.sentiment.sentiment == "negative"


async def test_embeddings_are_512_dimensional_unit_vectors_and_cross_lingual(engine: LocalEngine) -> None:
    texts = [
        "I want a refund for the double charge",
        "Quiero un reembolso por el cobro duplicado",
        "The weather is sunny today",
    ]
    result = (await engine.embed(texts, SETTINGS)).value
    vectors = np.array(result.vectors)
    assert result.dimensions == engine.embedding_dimensions(SETTINGS) == 512
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    single = np.array((await engine.embed([texts[0]], SETTINGS)).value.vectors[0])
    assert np.allclose(single, vectors[0], atol=1e-5)
    assert (await engine.embed([], SETTINGS)).value.vectors == []


async def test_language_falls_back_to_the_organization_when_unsure(engine: LocalEngine) -> None:
    settings = EngineSettings(language="it")
    result = (await engine.classify(TicketText("Export CSV", ""), [], settings)).value
    assert result.detectedLanguage == "it"


# ---- quality on the labelled set -----------------------------------------------------------------


@pytest.fixture(scope="module")
def eval_report(engine: LocalEngine) -> EvalReport:
    return asyncio.run(evaluate(engine))


def test_eval_set_is_broad_enough() -> None:
    rows = load_eval_set()
    assert len(rows) >= 150
    for language in SUPPORTED_LANGUAGES:
        assert sum(row.language == language for row in rows) >= 20
    assert {row.intent for row in rows} == set(DEFAULT_INTENTS)
    assert all(row.tags and all(tag == tag.lower() for tag in row.tags) for row in rows)


def test_engine_clearly_beats_the_majority_baseline(eval_report: EvalReport) -> None:
    scores = {score.operation: score for score in eval_report.labels}
    assert eval_report.failures == 0
    assert scores["language"].accuracy >= 0.9
    assert scores["sentiment"].accuracy >= scores["sentiment"].baseline_accuracy + 0.25
    assert scores["sentiment"].macro_f1 >= 0.7
    assert scores["intent"].accuracy >= 0.85
    assert scores["intent"].macro_f1 >= scores["intent"].baseline_macro_f1 + 0.5
    assert scores["priority"].accuracy >= scores["priority"].baseline_accuracy + 0.2
    assert eval_report.tags.hit_rate >= eval_report.tags.baseline_hit_rate + 0.4


def test_macro_f1_weighs_rare_labels() -> None:
    gold = ["a"] * 9 + ["b"]
    assert macro_f1(gold, ["a"] * 10) == pytest.approx((2 * 0.9 / 1.9 + 0.0) / 2)
    assert macro_f1(gold, gold) == 1.0


# ---- text helpers ----------------------------------------------------------------------------------


def test_sentence_splitter_keeps_abbreviations_and_spanish_marks() -> None:
    assert split_sentences("Hi, e.g. version 2.5 fails. ¿Cómo lo arreglo? ¡Urgente!\nGracias") == [
        "Hi, e.g. version 2.5 fails.",
        "¿Cómo lo arreglo?",
        "¡Urgente!",
        "Gracias",
    ]


@hypothesis_settings(max_examples=50)
@given(st.text(max_size=200))
def test_token_estimate_is_deterministic_and_grows_with_text(text: str) -> None:
    assert estimate_tokens(text) == estimate_tokens(text) >= 0
    assert estimate_tokens(text + " more words here") > estimate_tokens(text)
