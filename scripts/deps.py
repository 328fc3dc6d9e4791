"""Print the pinned requirements from pyproject.toml for the named extras, one per line.

The Makefile feeds this to pip so that pyproject.toml stays the only list of dependencies.
"""

import sys
import tomllib
from pathlib import Path


def requirements(extras: list[str]) -> list[str]:
    project = tomllib.loads(Path(__file__).resolve().parent.parent.joinpath("pyproject.toml").read_text())["project"]
    chosen = list(project["dependencies"])
    for extra in extras:
        chosen.extend(project["optional-dependencies"][extra])
    return chosen


if __name__ == "__main__":
    print("\n".join(requirements(sys.argv[1:])))
