"""Regenerate the TypeScript client package and docs/api.md from the procedure registry.

    python -m scripts.generate_catalog [ROOT]    (what `make types` and `make docs` run)
"""

from __future__ import annotations

import sys
from pathlib import Path

from app.catalog.generate import write_all

if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1]
    for path in write_all(root):
        print(path.relative_to(root) if path.is_relative_to(root) else path)
