#!/usr/bin/env python3
"""superjson encoding of answers: the per-type plans (app/superjson_plans.py) against the
generic walk they replace, side by side in one run.

Encodes, in process, the `system.status` answer and a `tickets.list` page of 50 tickets (each
with a customer, three Date fields and a TipTap description), both ways, alternating, and prints
microseconds per answer (best of `--repeat` runs). Both ways must give the same envelope; the
script checks that first.

    .venv/bin/python scripts/bench/superjson_encode.py
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import superjson  # noqa: E402
from procedures.system import EngineInfo, Status  # noqa: E402
from procedures.tickets import Customer, Ticket, TicketList  # noqa: E402


def ticket_page(count: int) -> TicketList:
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    description = {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "It fails."}]}]}
    items = [
        Ticket(
            id=uuid.uuid4(),
            number=1000 + index,
            subject=f"Export to CSV fails for report {index}",
            description=description,
            description_text="It fails.",
            status="open",
            priority="high",
            tags=["export", "csv"],
            assignee_id=uuid.uuid4() if index % 2 else None,
            customer=Customer(id=uuid.uuid4(), name="Ana Lima", email="ana@example.test", traits={"plan": "pro"}),
            ai_summary=None,
            ai_resolved=False,
            escalation_reason=None,
            sla_due_at=start + timedelta(hours=index) if index % 3 else None,
            unread_count=index % 4,
            created_at=start + timedelta(minutes=index),
            updated_at=start + timedelta(minutes=index, seconds=30),
            ai_triage=None,
        )
        for index in range(count)
    ]
    return TicketList(items=items, total=count, total_exact=True)


def best_microseconds(encode: Callable[[Any], Any], value: Any, number: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            encode(value)
        best = min(best, time.perf_counter() - started)
    return best / number * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    answers = {
        "system.status": (Status(version="0.1.0", time=datetime.now(UTC), database="ok",
                                 ai=EngineInfo(engine="local", model="helpdesk-local-v1"), debug=False), 20_000),
        "tickets.list, 50 tickets": (ticket_page(50), 300),
    }
    print("| answer | generic walk, µs | plan, µs | walk ÷ plan |")
    print("|---|---:|---:|---:|")
    for name, (value, number) in answers.items():
        if superjson.encode(value) != superjson.encode_by_walking(value):
            sys.exit(f"{name}: the plan and the walk disagree")
        walk = plan = float("inf")
        for _ in range(3):  # alternate, so that machine noise hits both alike
            walk = min(walk, best_microseconds(superjson.encode_by_walking, value, number, args.repeat))
            plan = min(plan, best_microseconds(superjson.encode, value, number, args.repeat))
        print(f"| {name} | {walk:,.1f} | {plan:,.1f} | {walk / plan:.1f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
