"""Legal and engineering rules. Each module holds one family of compliance.md:

- `authorization.py` AUTH-1..5, REG-2   - `retention.py` RET-1
- `access.py` ACC-1..5                  - `cameras.py` CAM-1..3, CAM-5..9
- `network.py` NET-2, NET-4, TIME-1     - `engineering.py` ENG-* (uniqueness, addressing, secrets)
- `department.py` department.yml / crisis-cell.yml themselves (ports, admin networks, hub pools)
- `vaultfiles.py` ENG-VAULT (secrets files present and encrypted)
- `crisis_cell.py` the wall's recipients (ACC-1, ACC-3)
- `alerts.py` alert routes: ACC-3 live links, AUTH-3 purposes, NET-2 tunnel, CAM-6 metadata
- `monitoring.py` the monitoring host (pools, unique addresses, its port, thresholds)
"""

from beffroi.rules import (
    access,
    alerts,
    authorization,
    cameras,
    crisis_cell,
    department,
    engineering,
    monitoring,
    network,
    retention,
    vaultfiles,
)
from beffroi.rules.registry import INVENTORY_RULES, SITE_RULES, SiteCheck

__all__ = ["INVENTORY_RULES", "SITE_RULES", "SiteCheck", "access", "alerts", "authorization",
           "cameras", "crisis_cell", "department", "engineering", "monitoring", "network",
           "retention", "vaultfiles"]
