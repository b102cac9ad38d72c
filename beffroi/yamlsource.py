"""YAML loaded with the line of every field, so findings can point at `file:line`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from beffroi.compliance import citation
from beffroi.findings import Finding

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Path_ = tuple[str | int, ...]


class VaultRef(str):
    """A `!vault` scalar: an encrypted value, never read by the control plane."""


@dataclass
class Source:
    """A loaded YAML document: its data and the line where each field path starts."""

    file: str
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """Line of the deepest known prefix of `path` (1 when nothing is known)."""
        for cut in range(len(path), -1, -1):
            found = self.lines.get(tuple(path[:cut]))
            if found is not None:
                return found
        return 1


def dotted(path: Path_) -> str:
    """`('cameras', 0, 'recording', 'fps')` → `cameras[0].recording.fps`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Path_, int] = {}
        self.findings: list[Finding] = []
        self._ctor = yaml.SafeLoader("")  # only its scalar constructors are used

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self.build(key_node, (*path, "<key>"))
                if not isinstance(key, str | int):
                    key = str(key)
                if key in out:
                    self.findings.append(Finding(
                        self.file, key_node.start_mark.line + 1, "ENG-YAML",
                        dotted((*path, key)), f"duplicate key '{key}'",
                        citation=citation("ENG-YAML"),
                        hint="keep one definition; YAML would silently keep the last"))
                child = (*path, key)
                self.lines[child] = key_node.start_mark.line + 1
                out[key] = self.build(value_node, child)
            self.lines.pop((*path, "<key>"), None)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == "!vault":
            return VaultRef(node.value)
        if node.tag.startswith("!"):
            self.findings.append(Finding(
                self.file, node.start_mark.line + 1, "ENG-YAML", dotted(path),
                f"unsupported YAML tag {node.tag}", citation=citation("ENG-YAML"),
                hint="only !vault is understood in inventory files"))
            return node.value
        return self._ctor.construct_object(node, deep=True)


def load_yaml(path: Path, display: str | None = None) -> tuple[Source | None, list[Finding]]:
    """Load one YAML file; syntax errors become ENG-YAML findings instead of exceptions."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Finding(name, 1, "ENG-YAML", "", f"cannot read file: {exc}",
                              citation=citation("ENG-YAML"),
                              hint="check the path and that the file is UTF-8 text")]
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[Source | None, list[Finding]]:
    """Parse YAML text (see `load_yaml`)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        return None, [Finding(name, line, "ENG-YAML", "",
                              f"YAML syntax error: {exc.problem or exc}",
                              citation=citation("ENG-YAML"),
                              hint="fix the indentation/quoting near this line")]
    except yaml.YAMLError as exc:
        return None, [Finding(name, 1, "ENG-YAML", "", f"YAML error: {exc}",
                              citation=citation("ENG-YAML"), hint="fix the YAML syntax")]
    if node is None:
        return Source(name, {}, {(): 1}), []
    builder = _Builder(name)
    try:
        data = builder.build(node, ())
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        return None, [Finding(name, 1, "ENG-YAML", "", f"YAML value error: {exc}",
                              citation=citation("ENG-YAML"), hint="fix the value's syntax")]
    return Source(name, data, builder.lines), builder.findings
