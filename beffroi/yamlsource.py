"""YAML loaded with the line of every field, so findings can point at `file:line`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from beffroi.compliance import citation
from beffroi.findings import Finding
from beffroi.safefile import read_text

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Path_ = tuple[str | int, ...]


MAX_NODES = 200_000  # far above any site file; stops "billion laughs" alias expansion


_PLAIN_COLLECTIONS = frozenset({"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})


class _TooLarge(Exception):
    """Raised when a document expands past MAX_NODES values."""


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
        self._open: set[int] = set()  # ids of the collection nodes being built (alias cycles)
        self._budget = MAX_NODES

    def _problem(self, node: yaml.Node, path: Path_, message: str, hint: str) -> None:
        where = dotted(tuple(p for p in path if p != "<key>"))
        self.findings.append(Finding(self.file, node.start_mark.line + 1, "ENG-YAML", where,
                                     message, citation=citation("ENG-YAML"), hint=hint))

    def build(self, node: yaml.Node, path: Path_) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        self._budget -= 1
        if self._budget < 0:
            raise _TooLarge
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if id(node) in self._open:
                # `&a [*a]` is a legal YAML cycle; building it would recurse forever.
                self._problem(node, path, "recursive YAML alias (an anchor used inside itself)",
                              "inventory files need no anchors; write the values out")
                return None
            if node.tag not in _PLAIN_COLLECTIONS:
                # `!!python/object/apply:… [...]` must not pass silently as a plain list.
                self._problem(node, path, f"unsupported YAML tag {node.tag}",
                              "inventory files use plain mappings and lists")
            self._open.add(id(node))
            try:
                return self._build_collection(node, path)
            finally:
                self._open.discard(id(node))
        return self._build_scalar(node, path)

    def _build_collection(self, node: yaml.Node, path: Path_) -> Any:
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
        return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]

    def _build_scalar(self, node: yaml.Node, path: Path_) -> Any:
        if node.tag == "!vault":
            return VaultRef(node.value)
        if node.tag.startswith("!"):
            self._problem(node, path, f"unsupported YAML tag {node.tag}",
                          "only !vault is understood in inventory files")
            return node.value
        try:
            return self._ctor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
            # e.g. `issued: 2024-02-30` or a `<<` merge key: point at the value, keep going.
            problem = getattr(exc, "problem", None) or str(exc)
            self._problem(node, path, f"invalid value {node.value!r}: {problem}",
                          "fix the value (dates are YYYY-MM-DD; no `<<` merge keys)")
            return node.value


def load_yaml(path: Path, display: str | None = None) -> tuple[Source | None, list[Finding]]:
    """Load one YAML file; syntax errors become ENG-YAML findings instead of exceptions."""
    name = display or str(path)
    try:
        text = read_text(path)  # regular files only, size-capped: never a FIFO or /dev/zero
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Finding(name, 1, "ENG-YAML", "", f"cannot read file: {exc}",
                              citation=citation("ENG-YAML"),
                              hint="an inventory file is a regular UTF-8 text file")]
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[Source | None, list[Finding]]:
    """Parse YAML text (see `load_yaml`)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        # The parser notices an unclosed bracket on the next token: name where it opened.
        where = (f" ({exc.context} opened at line {exc.context_mark.line + 1})"
                 if exc.context and exc.context_mark and exc.context_mark.line + 1 != line
                 else "")
        return None, [Finding(name, line, "ENG-YAML", "",
                              f"YAML syntax error: {exc.problem or exc}{where}",
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
    except _TooLarge:
        return None, [Finding(name, 1, "ENG-YAML", "",
                              f"document expands to more than {MAX_NODES} values "
                              "(alias expansion?)", citation=citation("ENG-YAML"),
                              hint="inventory files need no anchors; write the values out")]
    except RecursionError:
        return None, [Finding(name, 1, "ENG-YAML", "", "values nested too deeply",
                              citation=citation("ENG-YAML"),
                              hint="a site file is a few levels deep; check brackets")]
    return Source(name, data, builder.lines), builder.findings
