"""What each demo organization's helpdesk looks like: its products, how many tickets and
articles it has, and its agents with their expertise (app.demo.corpus writes them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import msgspec

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


def _load_profiles() -> dict[str, Profile]:
    """Read the organizations shipped beside this module (profiles.json), in the file's order."""
    return msgspec.json.decode((Path(__file__).parent / "profiles.json").read_bytes(), type=dict[str, Profile])


PROFILES: dict[str, Profile] = _load_profiles()
