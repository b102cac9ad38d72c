"""Switch drivers are found by import path (as NAPALM's get_network_driver): the interface
module `network.switch.driver` never imports ios.py / junos.py, which import it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from network.endpoints import Endpoint
from network.errors import NetworkError
from network.switch import driver
from network.switch.driver import Credentials, driver_class, driver_for

REPO = Path(__file__).resolve().parents[2]


def test_driver_interface_module_imports_no_driver() -> None:
    tree = ast.parse((REPO / "network" / "switch" / "driver.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    drivers = {path.partition(":")[0] for path in driver.DRIVERS.values()}
    assert drivers == {"network.switch.ios", "network.switch.junos"}
    assert not imported & drivers


@pytest.mark.parametrize(("platform", "name"), [("ios", "IosDriver"), ("junos", "JunosDriver")])
def test_each_platform_resolves_to_its_driver_class(platform: str, name: str) -> None:
    cls = driver_class(platform, "sw-test")
    assert cls.__name__ == name  # type: ignore[attr-defined]
    drv = driver_for(platform, "sw-test", Endpoint("127.0.0.1", 1), Credentials("u", "p"))
    assert type(drv).__name__ == name
    for method in ("running_config", "compare", "apply"):
        assert callable(getattr(drv, method))


def test_platform_without_driver_is_a_clear_error_naming_the_device() -> None:
    with pytest.raises(NetworkError, match="no driver for platform 'procurve'") as err:
        driver_for("procurve", "sw-evrange", Endpoint("127.0.0.1", 1), Credentials("u", "p"))
    assert "sw-evrange" in str(err.value)
