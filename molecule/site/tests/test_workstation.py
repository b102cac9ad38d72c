"""Role workstation: a kiosk showing the commune console full screen under its own account,
the browser limited to the console's origin, the site's CA trusted (issue 14 §4)."""

from __future__ import annotations

import time
from typing import Any

HOST = "evrange-ws"
CONSOLE = "https://10.57.0.99:8443"
CA = "/usr/local/share/ca-certificates/beffroi-evrange-nvr.crt"


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


def test_kiosk_runs_chromium_full_screen_at_the_console_as_its_own_user(lab: Any) -> None:
    host = lab(HOST)
    kiosk = host.service("beffroi-kiosk")
    assert kiosk.is_enabled and kiosk.is_running
    unit = host.file("/etc/systemd/system/beffroi-kiosk.service").content_string
    assert "User=beffroi-kiosk" in unit
    assert "/usr/bin/chromium --kiosk" in unit and f"{CONSOLE}/" in unit
    user = host.user("beffroi-kiosk")
    assert user.shell == "/usr/sbin/nologin" and user.uid < 1000
    with host.sudo():
        assert host.run("systemd-analyze verify /etc/systemd/system/beffroi-kiosk.service"
                        ).rc == 0
    # the unit's main process is the compositor, and the browser it runs shows the console;
    # a crash loop would not stay up: the same main PID 10 s apart
    main = host.check_output("systemctl show -P MainPID beffroi-kiosk")
    time.sleep(10)
    assert host.check_output("systemctl show -P MainPID beffroi-kiosk") == main != "0"
    procs = _kiosk_processes(host)
    assert {uid for uid, _, _ in procs} == {user.uid}  # nothing of the kiosk runs as root
    browsers = [args for _, ppid, args in procs
                if ppid == int(main) and args.startswith("/usr/lib/chromium/chromium ")]
    assert browsers and f"{CONSOLE}/" in browsers[0].split() and "--kiosk" in browsers[0]
    assert [args for _, ppid, args in procs if "--type=renderer" in args]


def test_no_lab_setting_is_in_the_production_files(lab: Any) -> None:
    host = lab(HOST)
    files = ["/etc/systemd/system/beffroi-kiosk.service",
             "/etc/chromium/policies/managed/beffroi-kiosk.json", CA]
    for path in files:
        text = host.file(path).content_string
        for word in ("WLR_", "headless", "pixman", "Lab only", "molecule"):
            assert word not in text, (path, word)
    # the lab's headless compositor is one drop-in, the only one, and says it is the lab's
    with host.sudo():
        dropins = host.check_output("ls /etc/systemd/system/beffroi-kiosk.service.d").split()
    assert dropins == ["beffroi-lab.conf"]
    dropin = host.file("/etc/systemd/system/beffroi-kiosk.service.d/beffroi-lab.conf")
    assert dropin.content_string.startswith("# Lab only")


def test_browser_policy_allows_the_console_only(lab: Any) -> None:
    import json

    host = lab(HOST)
    policy = json.loads(host.file("/etc/chromium/policies/managed/beffroi-kiosk.json")
                        .content_string)
    assert policy["URLBlocklist"] == ["*"] and policy["URLAllowlist"] == [CONSOLE]
    assert policy["DeveloperToolsAvailability"] == 2


def test_site_ca_is_trusted_by_the_system_and_the_kiosk_browser(lab: Any) -> None:
    host = lab(HOST)
    pem = host.file(CA).content_string
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    bundle = host.file("/etc/ssl/certs/ca-certificates.crt").content_string
    assert pem.strip() in bundle
    with host.sudo("beffroi-kiosk"):
        listed = host.check_output("certutil -L -d sql:/var/lib/beffroi-kiosk/.pki/nssdb")
    line = next(li for li in listed.splitlines() if li.startswith("beffroi-evrange-nvr"))
    assert line.split()[-1].startswith("CT")
