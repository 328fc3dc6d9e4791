"""What each demo organization's helpdesk looks like: its products, how many tickets and
articles it has, and its agents with their expertise (app.demo.corpus writes them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

HISTORY_DAYS = 120


@dataclass(frozen=True)
class Agent:
    name: str
    expertise: tuple[str, ...]


@dataclass(frozen=True)
class Profile:
    company: str
    products: tuple[str, ...]
    tickets: int
    articles: int
    agents: tuple[Agent, ...]
    history_days: int = HISTORY_DAYS
    slot_choices: Mapping[str, Sequence[str]] = field(default_factory=dict)  # see app.demo.text.slot_values


PROFILES: dict[str, Profile] = {
    "acme-support": Profile(
        company="Acme",
        products=("Acme Hub", "Acme Cam", "Acme Sense", "Acme Doorbell"),
        tickets=360,
        articles=40,
        agents=(
            Agent("Maya Patel", ("billing", "refunds", "cancellation")),
            Agent("Lucas Moreau", ("login", "two-factor", "french")),
            Agent("Sofia Rossi", ("api", "outage", "italian")),
            Agent("Kenji Watanabe", ("mobile", "bug")),
            Agent("Grace O'Connor", ("shipping", "refunds")),
            Agent("Diego Fernández", ("outage", "api", "spanish", "portuguese")),
            Agent("Hannah Schmidt", ("data-export", "feature-request", "german")),
            Agent("Tom Becker", ("bug", "feature-request", "mobile", "login")),
        ),
    ),
    "globex": Profile(
        company="Globex",
        products=("Globex Router", "Globex Mesh", "Globex Cloud Drive"),
        tickets=42,
        articles=8,
        agents=(
            Agent("Owen Hughes", ("billing", "refunds", "cancellation", "data-export")),
            Agent("Inês Costa", ("login", "two-factor", "api", "outage", "portuguese")),
            Agent("Felix Weber", ("shipping", "mobile", "bug", "feature-request", "german")),
        ),
    ),
    "hooli": Profile(
        company="Hooli",
        products=("Hooli Phone", "HooliChat", "Hooli Nucleus"),
        tickets=40,
        articles=8,
        agents=(
            Agent("Priya Raman", ("billing", "refunds", "cancellation", "shipping", "data-export")),
            Agent("Marco Bianchi", ("login", "two-factor", "api", "outage", "mobile", "bug", "italian")),
        ),
    ),
    "initech": Profile(
        company="Initech",
        products=("TPS Reporter", "Initech Ledger"),
        tickets=15,
        articles=4,
        agents=(Agent("Bill Lumbergh", ("billing", "bug", "login", "feature-request")),),
    ),
}
