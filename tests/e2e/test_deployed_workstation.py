"""Role workstation on the lab commune the demo deployed: a kiosk showing the commune console
full screen under its own account, the browser limited to the console's origin, the site's CA
trusted (issue 14 §4)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from e2e_kit import SLUG, Deployed

from beffroi.intent import site_intent

pytestmark = [pytest.mark.lab, pytest.mark.slow, pytest.mark.xdist_group("lab")]


def _ws(deployed: Deployed) -> Any:
    ws = deployed.model.sites[SLUG].workstation
    assert ws is not None
    return deployed.host(ws.hostname)


def _console(deployed: Deployed) -> str:
    """The console's origin: the commune's NVR on the recorder's API port."""
    dept = deployed.model.department
    assert dept is not None
    return f"https://{deployed.model.sites[SLUG].nvr.ip}:{dept.defaults.recorder_api_port}"


def _paths(deployed: Deployed) -> tuple[str, str, str]:
    """Where the intent puts the kiosk's unit, browser policy and site CA (files land where
    the intent's file list says; what they must contain is written in the tests)."""
    ctx = site_intent(deployed.model, SLUG).context()
    paths, ws = ctx["paths"], ctx["workstation"]
    return (f"{paths['systemd_dir']}/beffroi-kiosk.service", str(paths["chromium_policy"]),
            f"{paths['ca_trust_dir']}/{ws['ca_name']}.crt")


def _kiosk_processes(host: Any) -> list[tuple[int, int, str]]:
    """(uid, ppid, command line) of every process of the kiosk unit's cgroup."""
    pids = host.check_output("systemctl show -P ControlGroup beffroi-kiosk")
    procs = host.file(f"/sys/fs/cgroup/systemd{pids}/cgroup.procs").content_string.split()
    if not procs:  # a unified (cgroup v2) hierarchy
        procs = host.file(f"/sys/fs/cgroup{pids}/cgroup.procs").content_string.split()
    rows = []
    for pid in procs:
        out = host.run(f"ps -o uid=,ppid=,args= -p {pid}").stdout.strip()
        if out:
            uid, ppid, args = out.split(None, 2)
            rows.append((int(uid), int(ppid), args))
    return rows


def test_kiosk_runs_chromium_full_screen_at_the_console_as_its_own_user(
        deployed: Deployed) -> None:
    host, console = _ws(deployed), _console(deployed)
    unit_path = _paths(deployed)[0]
    kiosk = host.service("beffroi-kiosk")
    assert kiosk.is_enabled and kiosk.is_running
    unit = host.file(unit_path).content_string
    assert "User=beffroi-kiosk" in unit
    assert "/usr/bin/chromium --kiosk" in unit and f"{console}/" in unit
    user = host.user("beffroi-kiosk")
    assert user.shell == "/usr/sbin/nologin" and user.uid < 1000
    assert host.run(f"systemd-analyze verify {unit_path}").rc == 0
    # the unit's main process is the compositor, and the browser it runs shows the console;
    # a crash loop would not stay up: the same main PID 10 s apart
    main = host.check_output("systemctl show -P MainPID beffroi-kiosk")
    time.sleep(10)
    assert host.check_output("systemctl show -P MainPID beffroi-kiosk") == main != "0"
    procs = _kiosk_processes(host)
    assert {uid for uid, _, _ in procs} == {user.uid}  # nothing of the kiosk runs as root
    browsers = [args for _, ppid, args in procs
                if ppid == int(main) and args.startswith("/usr/lib/chromium/chromium ")]
    assert browsers and f"{console}/" in browsers[0].split() and "--kiosk" in browsers[0]
    assert [args for _, ppid, args in procs if "--type=renderer" in args]


def test_no_lab_setting_is_in_the_production_files(deployed: Deployed) -> None:
    host = _ws(deployed)
    unit, policy, ca = _paths(deployed)
    for path in (unit, policy, ca):
        text = host.file(path).content_string
        for word in ("WLR_", "headless", "pixman", "Lab only", "molecule"):
            assert word not in text, (path, word)
    # the lab's headless compositor is one drop-in, the only one, and says it is the lab's
    assert host.check_output(f"ls {unit}.d").split() == ["beffroi-lab.conf"]
    assert host.file(f"{unit}.d/beffroi-lab.conf").content_string.startswith("# Lab only")


def test_browser_policy_allows_the_console_only(deployed: Deployed) -> None:
    policy = json.loads(_ws(deployed).file(_paths(deployed)[1]).content_string)
    assert policy["URLBlocklist"] == ["*"] and policy["URLAllowlist"] == [_console(deployed)]
    assert policy["DeveloperToolsAvailability"] == 2


def test_site_ca_is_trusted_by_the_system_and_the_kiosk_browser(deployed: Deployed) -> None:
    host = _ws(deployed)
    pem = host.file(_paths(deployed)[2]).content_string
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    assert pem.strip() in host.file("/etc/ssl/certs/ca-certificates.crt").content_string
    with host.sudo("beffroi-kiosk"):
        listed = host.check_output("certutil -L -d sql:/var/lib/beffroi-kiosk/.pki/nssdb")
    nvr = deployed.model.sites[SLUG].nvr.hostname
    line = next(li for li in listed.splitlines() if li.startswith(f"beffroi-{nvr}"))
    assert line.split()[-1].startswith("CT")
