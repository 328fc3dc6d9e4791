"""Answer types more than one namespace returns."""

from __future__ import annotations

from typing import Literal

import msgspec


class Success(msgspec.Struct, frozen=True):
    """A mutation that has nothing else to say: `{"success": true}`."""

    success: Literal[True] = True
