"""Every generated file, from the registry: the TypeScript package and the API reference."""

from __future__ import annotations

from pathlib import Path

from app import __version__
from app.catalog.declarations import Declaration, read_declarations
from app.catalog.reference import api_markdown
from app.catalog.typescript_package import PACKAGE_README, index_d_ts, package_json
from app.registry import load_procedures


def current_declarations() -> list[Declaration]:
    return read_declarations(load_procedures())


def generated_files() -> dict[str, str]:
    """Relative path -> content of every generated file."""
    declarations = current_declarations()
    files = {
        "clients/typescript/index.d.ts": index_d_ts(declarations),
        "clients/typescript/package.json": package_json(__version__),
        "clients/typescript/README.md": PACKAGE_README,
        "docs/api.md": api_markdown(declarations),
    }
    return files


def write_all(root: Path) -> list[Path]:
    written: list[Path] = []
    for relative, content in generated_files().items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
