"""No import circle between the project's modules (scripts/import_cycles.py walks every
import, deferred ones and `if TYPE_CHECKING:` included: a lazy import hides a circle only)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "import_cycles.py"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_cycles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_cycles"] = module
    spec.loader.exec_module(module)
    return module


def test_cycle_finder_sees_a_deferred_circle() -> None:
    tool = _tool()
    assert tool.cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_network_and_recorder_have_no_import_circle() -> None:
    tool = _tool()
    found = [c for c in tool.cycles(tool.graph(top_level=False))
             if any(m.startswith(("network.", "recorder.")) for m in c)]
    assert found == []


def test_no_import_circle_anywhere() -> None:
    tool = _tool()
    assert tool.cycles(tool.graph(top_level=False)) == []
