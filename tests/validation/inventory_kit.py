"""Test kit: a private copy of the Moselle inventory, field-path edits, the CLI two ways.

Edits go through ruamel.yaml (round-trip), and the line a finding must point to is read back from
the edited file with ruamel too: an independent parser, so a test never trusts Beffroi's own line
bookkeeping to compute its expectation.
"""

from __future__ import annotations

import functools
import io
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from click.testing import CliRunner
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"
LAB_CONFIG = REPO / "lab" / "ansible.cfg"  # the lab's Ansible configuration (test password)
LAB_VAULT_PASSWORD = REPO / "lab" / "test-vault-password"
TODAY = "2026-11-28"  # every test sees the same "today" (BEFFROI_TODAY)
BEFFROI = Path(sys.executable).with_name("beffroi")  # the console script of this venv
FieldPath = tuple[str | int, ...]


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE: Any = _Delete()  # sentinel value: remove the key / item instead of setting it


def _yaml() -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 100
    y.indent(mapping=2, sequence=4, offset=2)
    y.explicit_start = True
    return y


@dataclass(frozen=True)
class Edit:
    """One change of one field of one file: DELETE removes it; an empty path is the whole file."""

    file: str
    path: FieldPath
    value: Any = DELETE
    rename_to: str | None = None  # rename the key at `path` instead of changing its value

    def __str__(self) -> str:
        what = (f"rename→{self.rename_to}" if self.rename_to
                else "delete" if self.value is DELETE else f"= {self.value!r}")
        return f"{self.file}:{'.'.join(map(str, self.path))} {what}"


@dataclass
class InventoryCopy:
    """A throw-away copy of `inventories/moselle` that tests may break at will."""

    root: Path

    def file(self, name: str) -> Path:
        """`sites/evrange.yml`, `department.yml`… inside the copy."""
        return self.root / name

    def load(self, name: str) -> Any:
        """The round-trip (comment-keeping) document of one file."""
        return _yaml().load(self.file(name).read_text(encoding="utf-8"))

    def save(self, name: str, data: Any) -> None:
        """Write a round-trip document back."""
        out = io.StringIO()
        _yaml().dump(data, out)
        self.file(name).write_text(out.getvalue(), encoding="utf-8")

    def apply(self, *edits: Edit) -> None:
        """Apply edits in order (each one loads and saves its file)."""
        for edit in edits:
            if not edit.path:  # whole file: DELETE removes it, a string replaces its text
                if edit.value is DELETE:
                    self.file(edit.file).unlink()
                else:
                    self.file(edit.file).write_text(edit.value, encoding="utf-8")
                continue
            data = self.load(edit.file)
            parent = _walk(data, edit.path[:-1])
            last = edit.path[-1]
            if edit.rename_to is not None:
                keys = list(parent.keys())
                value = parent.pop(last)
                parent.insert(keys.index(last), edit.rename_to, value)
            elif edit.value is DELETE:
                del parent[last]
            elif isinstance(parent, list) and last == len(parent):
                parent.append(edit.value)
            else:
                parent[last] = edit.value
            self.save(edit.file, data)

    def set(self, name: str, path: FieldPath, value: Any) -> None:
        """Set one field (creating the key if needed)."""
        self.apply(Edit(name, path, value))

    def replace_text(self, name: str, old: str, new: str) -> int:
        """Replace the first occurrence of `old` in the raw text; returns its line (1-based)."""
        text = self.file(name).read_text(encoding="utf-8")
        at = text.index(old)
        self.file(name).write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")
        return text.count("\n", 0, at) + 1

    def line_of(self, name: str, path: FieldPath) -> int:
        """1-based line where `path` starts in the file as it is now (KeyError if absent)."""
        data = self.load(name)
        if not path:
            return int(data.lc.line) + 1
        parent = _walk(data, path[:-1])
        last = path[-1]
        if isinstance(parent, list):
            assert isinstance(last, int)
            return int(parent.lc.item(last)[0]) + 1
        if last not in parent:
            raise KeyError(f"{name}: no field {path}")
        return int(parent.lc.key(last)[0]) + 1

    def site(self, slug: str) -> str:
        """The relative name of a site file."""
        return f"sites/{slug}.yml"


def _walk(data: Any, path: FieldPath) -> Any:
    node = data
    for part in path:
        node = node[part]
    return node


@dataclass(frozen=True)
class CliResult:
    """What a `beffroi` run returned, the same shape for subprocess and CliRunner runs."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together (for "no traceback" checks)."""
        return self.stdout + self.stderr

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)


def run_beffroi(args: Sequence[str], cwd: Path = REPO, env: dict[str, str] | None = None,
                timeout: float = 120) -> CliResult:
    """`beffroi ARGS` as a real subprocess (the console script an engineer runs); `env`
    replaces the environment (default: this one, with the lab's vault password)."""
    env = {**(os.environ if env is None else env), "BEFFROI_TODAY": TODAY, "COLUMNS": "200"}
    done = subprocess.run([str(BEFFROI), *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False, timeout=timeout)
    return CliResult(done.returncode, done.stdout, done.stderr)


@functools.cache
def _command() -> Any:
    """The click command behind `beffroi` (typer rebuilds it on every call otherwise)."""
    from beffroi.cli.app import app

    return typer.main.get_command(app)


def invoke_beffroi(args: Sequence[str]) -> CliResult:
    """`beffroi ARGS` in-process through CliRunner (fast; the same app the script runs)."""
    result = CliRunner().invoke(_command(), list(args),
                                env={"BEFFROI_TODAY": TODAY, "COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # An escaped exception is exactly the traceback the CLI must never show: surface it.
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)
