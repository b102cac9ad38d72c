"""What the network tests share besides fixtures: Évrange under test, endpoints files.

Imported by name (`from network_kit import …`), never as `conftest`: several test folders have
a conftest.py, and which one `import conftest` finds depends on what else is collected."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
MOSELLE = REPO / "inventories" / "moselle"
SLUG = "evrange"


@dataclass(frozen=True)
class SiteUnderTest:
    """A commune's intent context and its rendered files (secrets revealed, as deployed)."""

    slug: str
    ctx: dict[str, Any]
    files: dict[str, str]   # relpath → rendered text

    @property
    def switch_config(self) -> str:
        """The rendered switch configuration: the intent the switch must carry."""
        sw = self.ctx["switch"]
        return self.files[f"{sw['hostname']}/running-config.{sw['platform']}"]


def write_endpoints(path: Path, entries: dict[str, dict[str, Any]]) -> Path:
    """An endpoints file (see network/endpoints.py) pointing devices at loopback peers."""
    path.write_text(yaml.safe_dump(entries), encoding="utf-8")
    return path
