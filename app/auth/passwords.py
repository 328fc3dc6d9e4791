"""Password hashing with argon2id.

Hashing and verifying are CPU-bound (tens of milliseconds by design), so the async helpers run
them in a thread and the event loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# argon2-cffi's defaults are RFC 9106's low-memory profile (argon2id, 64 MiB, t=3, p=4).
_hasher = PasswordHasher()

# Verified against when the e-mail is unknown, so that an unknown address costs as much time as a
# wrong password and response times do not reveal which addresses have accounts.
_DUMMY_HASH = _hasher.hash("helpdesk-ai dummy password that matches nothing")

# Rules for new passwords (procedures validate with these through msgspec constraints).
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; a cap keeps one request from burning CPU


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a None hash (unknown e-mail, no password set) still spends
    the time of one verification and answers False."""
    return await asyncio.to_thread(_verify, password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: rehash at next login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True
