"""docs/security.md maps each rule to the tests that prove it: every file and test it names exists.

A reference is `tests/part/test_file.py::test_name`, a file named by itself (`test_file.py::...`,
found under tests/), or a bare `test_name` that belongs to the file last named on the same line."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
DOC = ROOT / "docs" / "security.md"
REFERENCE = re.compile(r"`((?:tests/)?[\w/]*test_\w+\.py)(?:::(\w+))?`|`(test_\w+)`")


def _file(path: str) -> Path | None:
    if path.startswith("tests/"):
        return ROOT / path if (ROOT / path).exists() else None
    found = sorted((ROOT / "tests").rglob(Path(path).name))
    return found[0] if len(found) == 1 else None


def test_every_test_the_security_map_names_exists():
    missing, named = [], 0
    for line in DOC.read_text(encoding="utf-8").splitlines():
        current = None
        for path, test, bare in REFERENCE.findall(line):
            if path:
                current = _file(path)
                if current is None:
                    missing.append(path)
                    continue
            name = test or bare
            if not name:
                continue
            named += 1
            if current is None or not re.search(rf"def {name}\(", current.read_text(encoding="utf-8")):
                missing.append(f"{current.relative_to(ROOT) if current else '(no file)'}::{name}")
    assert named > 40
    assert not missing, "\n".join(missing)
