"""Auto-triage: with an organization's `autoTriage` on, every new ticket (and every ticket a
customer reopens) gets priority, tags and sentiment from the AI, plus a suggested assignee, in the
background.

Durability and charging, the two things that must never go wrong:

- A job row (`triage_jobs`) is written in the transaction that creates or reopens the ticket, so
  a ticket saved just before a shutdown or a crash is triaged after the next start.
- A worker takes a job by leasing it (`not_before` moves forward, `attempts` goes up), runs the AI
  with no lock held, then in ONE transaction: deletes the job (only if its lease is still the
  one it took), reserves the operation against the quota, applies the allowed fields, writes the
  token ledger and the ticket's `ai_triage` record. A crash anywhere before that commit leaves
  the job for the next lease and charges nothing; the commit charges exactly once.

Triage never overwrites what a person chose: fields set by a person are listed in the ticket's
`manual_fields` (tickets.create with an explicit priority or tags, tickets.update of priority,
tags or assignee), and they are re-read under a row lock at apply time, so a person's change that
lands while the AI works still wins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
import msgspec

from app.ai.choose import choose_engine
from app.ai.interface import AIError, Analysis, EngineSettings, TicketText, TokenUsage
from app.assist.assignees import TriageAssignee, rank_agents
from app.assist.queries import TicketForAI, load_ticket_for_ai
from app.assist.settings import OrgAISettings
from app.context import Caller, Context, RequestInfo, ResponseEffects, Services
from app.errors import TRPCError
from app.usage.metering import admit_call, record_token_usage

log = logging.getLogger("app.assist.triage")

TriageField = Literal["priority", "tags", "assignee"]
TriageStatus = Literal["pending", "applied", "skipped", "failed"]
TRIAGE_OPERATION = "triage"  # its name in the token ledger

# How long a worker may hold a job before another worker may take it again (a worker that died
# mid-job leaves its lease to expire).
LEASE_SECONDS = 120
MAX_ATTEMPTS = 3
RETRY_BACKOFF_SECONDS = (2, 10, 30)
# Jobs of other processes (or from before a restart) are looked for this often; a ticket created
# in this process wakes the worker at once.
POLL_SECONDS = 2.0
MAX_TAGS = 50


class TriageSuggestion(msgspec.Struct, frozen=True, kw_only=True):
    priority: Literal["low", "normal", "high", "urgent"]
    tags: list[str]
    sentiment: Literal["positive", "neutral", "negative"]
    assignee: TriageAssignee | None = None


class TriageRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What auto-triage did to a ticket (the ticket's `aiTriage`)."""

    status: TriageStatus
    at: datetime
    # The fields triage wrote to the ticket; the rest of `suggested` was only suggested.
    applied: list[TriageField] = []
    suggested: TriageSuggestion | None = None
    # The AI's confidence in the priority it suggested (0..1).
    confidence: float | None = None
    model: str | None = None
    # Why triage was skipped or failed: quota, plan or engine.
    reason: Literal["quota", "plan", "engine"] | None = None


_RECORD_ENCODER = msgspec.json.Encoder()
_RECORD_DECODER = msgspec.json.Decoder(TriageRecord)


def _encoded(record: TriageRecord) -> str:
    return _RECORD_ENCODER.encode(record).decode()


def read_triage_record(raw: str | bytes | None) -> TriageRecord | None:
    """The ticket's `ai_triage` column as a typed record (asyncpg hands jsonb over as text)."""
    if raw is None:
        return None
    try:
        return _RECORD_DECODER.decode(raw)
    except msgspec.DecodeError:
        log.warning("ignoring an unreadable ai_triage record")
        return None


# ---- enqueueing: inside the transaction that creates or reopens a ticket -------------------------

_ENQUEUE_SQL = """
WITH enabled AS (
    SELECT 1 FROM organizations
    WHERE id = $1 AND coalesce((ai_settings ->> 'autoTriage')::boolean, false)
), job AS (
    INSERT INTO triage_jobs (org_id, ticket_id, reason)
    SELECT $1, $2, $3 FROM enabled
    ON CONFLICT (org_id, ticket_id) DO NOTHING
    RETURNING 1
)
UPDATE tickets SET ai_triage = $4::jsonb
WHERE org_id = $1 AND id = $2 AND EXISTS (SELECT FROM job)
RETURNING 1
"""


async def enqueue_triage(
    connection: asyncpg.Connection, org_id: UUID, ticket_id: UUID, reason: Literal["created", "reopened"]
) -> TriageRecord | None:
    """Queue the ticket for triage when the organization has auto-triage on. Call it in the
    transaction that writes the ticket. Answers the ticket's new (pending) record when a job was
    queued, None otherwise; after the commit, `wake_triage` starts it at once."""
    pending = TriageRecord(status="pending", at=datetime.now(UTC))
    queued = await connection.fetchval(_ENQUEUE_SQL, org_id, ticket_id, reason, _encoded(pending))
    return pending if queued is not None else None


# ---- one job -------------------------------------------------------------------------------------

_LEASE_SQL = f"""
UPDATE triage_jobs j
SET attempts = j.attempts + 1, not_before = now() + interval '{LEASE_SECONDS} seconds'
FROM (
    SELECT org_id, ticket_id FROM triage_jobs
    WHERE not_before <= now()
    ORDER BY not_before
    LIMIT 1
    FOR UPDATE SKIP LOCKED
) due
WHERE j.org_id = due.org_id AND j.ticket_id = due.ticket_id
RETURNING j.org_id, j.ticket_id, j.attempts
"""

_PLAN_SQL = """
SELECT p.name AS plan, p.ai_features
FROM organizations o JOIN plans p ON p.name = o.plan
WHERE o.id = $1
"""

_FINISH_SQL = "DELETE FROM triage_jobs WHERE org_id = $1 AND ticket_id = $2 AND attempts = $3 RETURNING 1"

_TICKET_FOR_APPLY_SQL = """
SELECT priority, tags, assignee_id, manual_fields FROM tickets
WHERE org_id = $1 AND id = $2
FOR UPDATE
"""

_APPLY_SQL = """
UPDATE tickets
SET priority = coalesce($3, priority),
    tags = coalesce($4, tags),
    assignee_id = coalesce($5, assignee_id),
    ai_triage = $6::jsonb,
    updated_at = CASE WHEN $3::text IS NULL AND $4::text[] IS NULL AND $5::uuid IS NULL
                      THEN updated_at ELSE now() END
WHERE org_id = $1 AND id = $2
"""

_HAND_BACK_SQL = """
UPDATE triage_jobs SET not_before = now(), attempts = attempts - 1
WHERE org_id = $1 AND ticket_id = $2 AND attempts = $3
"""

_RECORD_SQL = "UPDATE tickets SET ai_triage = $3::jsonb WHERE org_id = $1 AND id = $2"

_RETRY_SQL = """
UPDATE triage_jobs SET not_before = now() + make_interval(secs => $4)
WHERE org_id = $1 AND ticket_id = $2 AND attempts = $3
"""


class Lease(msgspec.Struct, frozen=True):
    org_id: UUID
    ticket_id: UUID
    attempts: int


class Proposal(msgspec.Struct, frozen=True, kw_only=True):
    """What the AI said, before anything is written."""

    analysis: Analysis
    assignee: TriageAssignee | None
    usage: list[TokenUsage]
    model: str


# Triage runs outside any request; the services it shares with the procedures take a Context.
_NO_REQUEST = RequestInfo(
    method="POST", headers={}, cookies={}, client_address=None, origin_trusted=True, cookies_deliverable=False
)


async def _suggest_assignee(
    services: Services, caller: Caller, ticket: TicketForAI, settings: EngineSettings
) -> tuple[TriageAssignee | None, list[TokenUsage]]:
    """The agent ai.suggestAssignee would suggest, ranked the same way."""
    context = Context(services=services, request=_NO_REQUEST, path="triage", effects=ResponseEffects(), caller=caller)
    ranked = await rank_agents(context, ticket.text(), ticket, ticket.tags, settings)
    best = ranked.best
    if best is None:
        return None, ranked.usage
    return TriageAssignee(agentId=best.agentId, agentName=best.agentName, confidence=best.confidence), ranked.usage


def _triage_caller(org_id: UUID, plan: str, ai_features: Any) -> Caller:
    # Triage acts for the organization, not for a person: no user, no key, no request rate.
    return Caller(org_id=org_id, user_id=None, role="agent", plan=plan, ai_features=ai_features)


def _ledger(usage: list[TokenUsage]) -> list[TokenUsage]:
    return [msgspec.structs.replace(call, operation=TRIAGE_OPERATION) for call in usage]


def _merged_tags(current: list[str], suggested: list[str]) -> list[str]:
    return list(dict.fromkeys([*current, *suggested]))[:MAX_TAGS]


async def _propose(services: Services, caller: Caller, ticket: TicketForAI) -> Proposal:
    settings: OrgAISettings = ticket.settings
    assert services.local_engine is not None
    engine = choose_engine(settings.engine, services.local_engine, services.hosted_engine)
    text = TicketText(subject=ticket.subject, description=ticket.description_text, messages=ticket.messages)
    result = await engine.analyze(text, ticket.existing_tags, settings.engine)
    usage = list(result.usage)
    assignee = None
    # Suggesting an assignee is part of full AI assist (the business plan).
    if caller.ai_features == "full":
        assignee, assignee_usage = await _suggest_assignee(services, caller, ticket, settings.engine)
        usage.extend(assignee_usage)
    return Proposal(analysis=result.value, assignee=assignee, usage=usage, model=result.model)


def _choose_fields(
    proposal: Proposal, settings: OrgAISettings, current: asyncpg.Record
) -> tuple[dict[TriageField, Any], list[TriageField]]:
    """The values to write and the fields they are, honouring the organization's choices and
    whatever a person set."""
    manual = set(current["manual_fields"])
    allowed = set(settings.auto_triage_apply) - manual
    values: dict[TriageField, Any] = {}
    analysis = proposal.analysis
    if "priority" in allowed and analysis.priority.priority != current["priority"]:
        values["priority"] = analysis.priority.priority
    tags = _merged_tags(list(current["tags"]), analysis.tags)
    if "tags" in allowed and tags != list(current["tags"]):
        values["tags"] = tags
    assignee = proposal.assignee
    if (
        "assignee" in allowed
        and assignee is not None
        and current["assignee_id"] is None
        and assignee.confidence >= settings.auto_triage_assignee_min_confidence
    ):
        values["assignee"] = assignee.agentId
    return values, list(values)


async def _settle(
    connection: asyncpg.Connection, lease: Lease, caller: Caller, proposal: Proposal, settings: OrgAISettings
) -> TriageRecord | None:
    """The one transaction that applies, charges and records; None when the job was taken over."""
    async with connection.transaction():
        if await connection.fetchval(_FINISH_SQL, lease.org_id, lease.ticket_id, lease.attempts) is None:
            return None  # our lease ran out and another worker took the job
        current = await connection.fetchrow(_TICKET_FOR_APPLY_SQL, lease.org_id, lease.ticket_id)
        if current is None:
            return None  # the ticket was deleted meanwhile; its job went with it
        analysis = proposal.analysis
        suggested = TriageSuggestion(
            priority=analysis.priority.priority,
            tags=analysis.tags,
            sentiment=analysis.sentiment.sentiment,
            assignee=proposal.assignee,
        )
        common: dict[str, Any] = {
            "at": datetime.now(UTC),
            "suggested": suggested,
            "confidence": round(analysis.priority.confidence, 3),
            "model": proposal.model,
        }
        try:
            # Reserved in this transaction: the charge commits with what it paid for, or not at all.
            await admit_call(connection, caller, metered=True, rate_limited=False, rate_limit_per_minute=0)
        except TRPCError as refused:
            if refused.code != "TOO_MANY_REQUESTS":
                raise
            record = TriageRecord(status="skipped", reason="quota", **common)
            await connection.execute(_RECORD_SQL, lease.org_id, lease.ticket_id, _encoded(record))
            return record
        values, applied = _choose_fields(proposal, settings, current)
        record = TriageRecord(status="applied", applied=applied, **common)
        await connection.execute(
            _APPLY_SQL,
            lease.org_id,
            lease.ticket_id,
            values.get("priority"),
            values.get("tags"),
            values.get("assignee"),
            _encoded(record),
        )
        await record_token_usage(connection, caller, _ledger(proposal.usage))
        return record


async def _give_up_or_retry(connection: asyncpg.Connection, lease: Lease) -> None:
    if lease.attempts >= MAX_ATTEMPTS:
        record = TriageRecord(status="failed", at=datetime.now(UTC), reason="engine")
        async with connection.transaction():
            if await connection.fetchval(_FINISH_SQL, lease.org_id, lease.ticket_id, lease.attempts) is not None:
                await connection.execute(_RECORD_SQL, lease.org_id, lease.ticket_id, _encoded(record))
        return
    backoff = RETRY_BACKOFF_SECONDS[min(lease.attempts, len(RETRY_BACKOFF_SECONDS)) - 1]
    await connection.execute(_RETRY_SQL, lease.org_id, lease.ticket_id, lease.attempts, float(backoff))


async def triage_one(services: Services, held: list[Lease] | None = None) -> bool:
    """Lease one due job and triage its ticket; False when no job was due. The lease in hand is
    kept in `held` while the job runs, so a worker that is stopped can hand it back."""
    assert services.pool is not None and services.local_engine is not None
    async with services.pool.acquire() as connection:
        leased = await connection.fetchrow(_LEASE_SQL)
        if leased is None:
            return False
        lease = Lease(org_id=leased["org_id"], ticket_id=leased["ticket_id"], attempts=leased["attempts"])
        if held is not None:
            held.append(lease)
        plan = await connection.fetchrow(_PLAN_SQL, lease.org_id)
        ticket = await load_ticket_for_ai(
            connection,
            lease.org_id,
            lease.ticket_id,
            default_embedding_model=services.local_engine.embedding_model_name(EngineSettings()),
            with_existing_tags=True,
        )
    if plan is None or ticket is None:
        return True  # organization or ticket deleted: the job went with it (ON DELETE CASCADE)
    caller = _triage_caller(lease.org_id, plan["plan"], plan["ai_features"])
    async with services.pool.acquire() as connection:
        if not ticket.settings.auto_triage:
            await connection.execute(_FINISH_SQL, lease.org_id, lease.ticket_id, lease.attempts)
            await connection.execute("UPDATE tickets SET ai_triage = NULL WHERE org_id = $1 AND id = $2 "
                                     "AND ai_triage ->> 'status' = 'pending'", lease.org_id, lease.ticket_id)
            return True
        if caller.ai_features == "none":
            skipped = TriageRecord(status="skipped", at=datetime.now(UTC), reason="plan")
            async with connection.transaction():
                if await connection.fetchval(_FINISH_SQL, lease.org_id, lease.ticket_id, lease.attempts) is not None:
                    await connection.execute(_RECORD_SQL, lease.org_id, lease.ticket_id, _encoded(skipped))
            return True
    try:
        proposal = await _propose(services, caller, ticket)
    except AIError as error:
        log.warning("auto-triage of ticket %s failed (attempt %d): %s", lease.ticket_id, lease.attempts, error)
        async with services.pool.acquire() as connection:
            await _give_up_or_retry(connection, lease)
        return True
    async with services.pool.acquire() as connection:
        record = await _settle(connection, lease, caller, proposal, ticket.settings)
    if record is not None:
        log.info("auto-triage of ticket %s: %s %s", lease.ticket_id, record.status, record.applied or record.reason or "")
    return True


# ---- the worker: one per process -----------------------------------------------------------------


class TriageWorker:
    """Runs due triage jobs in the background of a serving process until stopped."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._held: list[Lease] = []

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="auto-triage")

    def wake(self) -> None:
        """A job was just queued by this process: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop after the job in hand is settled or abandoned; an abandoned lease is handed back so
        the next start (or another worker) takes the job at once."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            try:
                worked = await triage_one(self._services, self._held)
                self._held.clear()
            except asyncio.CancelledError:
                await self._hand_back_leases()
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                self._held.clear()  # the lease runs out by itself and the job is retried
                log.warning("auto-triage paused: %s", error)
                worked = False
            if worked:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            self._wake.clear()

    async def _hand_back_leases(self) -> None:
        # The job in hand did not settle (a settled job's row is gone, so this changes nothing
        # then): make it due again now instead of when its lease runs out.
        pool = self._services.pool
        if pool is None or not self._held:
            return
        lease = self._held.pop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(pool.execute(_HAND_BACK_SQL, lease.org_id, lease.ticket_id, lease.attempts), 2.0)


def wake_triage(services: Services) -> None:
    worker: TriageWorker | None = services.extras.get("triage_worker")
    if worker is not None:
        worker.wake()
