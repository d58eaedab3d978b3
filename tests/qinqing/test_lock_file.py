"""The supply chain: every Python package the hall installs, dependencies of dependencies too, is pinned
with its SHA-256 hashes, and both installs (make run/make test, deploy/release.sh) refuse anything else."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[; ]", text.strip(), maxsplit=1)[0]).lower()


def _lock(name: str) -> dict[str, str]:
    """A lock file's pins; every pin must carry at least one hash, and the file no index or path."""
    pins: dict[str, str] = {}
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        assert not line.startswith(("--index-url", "--extra-index-url", "--find-links", "-e ")), line
        if line and not line.startswith((" ", "#")):
            match = PIN.match(line)
            assert match, f"{name}:{number + 1} 未锁定版本：{line}"
            assert "--hash=sha256:" in lines[number + 1], f"{name}:{number + 1} 没有哈希：{line}"
            pins[_name(match.group(1))] = match.group(2)
    return pins


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_name(d) for d in project["dependencies"]}, {_name(d) for d in project["optional-dependencies"]["dev"]}


def test_both_lock_files_pin_every_package_with_hashes_and_agree():
    runtime, development = _lock("requirements.lock"), _lock("requirements-dev.lock")
    declared, dev = _declared()
    assert declared <= set(runtime)
    assert declared | dev <= set(development)
    assert "django-stubs-ext" in runtime  # a dependency of a dependency (django-tasks): locked too
    assert {name: development[name] for name in runtime} == runtime


def test_the_installs_require_the_hashes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pip install -q --require-hashes --no-deps -r requirements-dev.lock" in makefile
    assert "$(STAMP): pyproject.toml requirements-dev.lock" in makefile
    release = (ROOT / "deploy" / "release.sh").read_text(encoding="utf-8")
    assert '--require-hashes --no-deps -r "$release/requirements.lock"' in release
    assert not (ROOT / "constraints.txt").exists()


def test_this_environment_was_installed_from_the_lock():
    for name, pinned in _lock("requirements-dev.lock").items():
        try:
            installed = version(name)
        except PackageNotFoundError:
            raise AssertionError(f"{name} 未安装：请运行 make install") from None
        assert installed == pinned, f"{name} 装的是 {installed}，锁定的是 {pinned}"
