"""`python -m app.catalog [ROOT]`: write the generated client package and API reference under ROOT."""

from __future__ import annotations

import sys
from pathlib import Path

from app.catalog.generate import write_all

if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[2]
    for path in write_all(root):
        print(path)
