"""Accounts as procedures return them: a member of an organization and the organization itself.

Shared by `auth.*` (who am I) and `users.*` (who is on the team), so a user looks the same
wherever it appears.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec

from app.roles import Role
from app.rows import struct_from_row

# Deliberately loose: one "@", something on each side, a dot in the domain. Deliverability is
# proven by mail, not by a regular expression.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=EMAIL_PATTERN)]
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ExpertiseTag = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Expertise = Annotated[list[ExpertiseTag], msgspec.Meta(max_length=50)]


class Member(msgspec.Struct, frozen=True):
    id: UUID
    email: str
    name: str
    role: Role
    expertise: list[str]
    active: bool
    createdAt: datetime


class OrganizationSummary(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    slug: str
    plan: str


# The columns `member_from_row` reads, for SELECT lists (alias the users table `u`).
MEMBER_COLUMNS = "u.id, u.email, u.name, u.role, u.expertise, u.active, u.created_at"


def member_from_row(row: asyncpg.Record) -> Member:
    return struct_from_row(row, Member)


def normalize_email(email: str) -> str:
    return email.strip().lower()
