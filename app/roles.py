"""What a member of an organization may be, from the fewest rights to the most."""

from __future__ import annotations

from typing import Literal

Role = Literal["viewer", "agent", "admin"]
