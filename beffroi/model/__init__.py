"""Pydantic models of the inventory: department defaults, commune sites, the crisis cell."""

from beffroi.model.crisis_cell import CrisisCell
from beffroi.model.department import CostLine, Department, DepartmentFile
from beffroi.model.monitoring import Monitoring
from beffroi.model.site import (
    Authorization,
    Camera,
    Controller,
    Firewall,
    Habilitation,
    Nvr,
    Purpose,
    Recipient,
    Site,
    Switch,
)

__all__ = [
    "Authorization", "Camera", "Controller", "CostLine", "CrisisCell", "Department",
    "DepartmentFile", "Firewall", "Habilitation", "Monitoring", "Nvr", "Purpose", "Recipient",
    "Site", "Switch",
]
