"""Role workstation: a kiosk showing the commune console full screen under its own account,
the browser limited to the console's origin, the site's CA trusted (issue 14 §4)."""

from __future__ import annotations

from typing import Any

HOST = "evrange-ws"
CONSOLE = "https://10.57.0.99:8443"
CA = "/usr/local/share/ca-certificates/beffroi-evrange-nvr.crt"


def test_kiosk_runs_chromium_full_screen_at_the_console_as_its_own_user(lab: Any) -> None:
    host = lab(HOST)
    assert host.service("beffroi-kiosk").is_enabled
    unit = host.file("/etc/systemd/system/beffroi-kiosk.service").content_string
    assert "User=beffroi-kiosk" in unit
    assert "/usr/bin/chromium --kiosk" in unit and f"{CONSOLE}/" in unit
    user = host.user("beffroi-kiosk")
    assert user.shell == "/usr/sbin/nologin" and user.uid < 1000
    with host.sudo():
        assert host.run("systemd-analyze verify /etc/systemd/system/beffroi-kiosk.service"
                        ).rc == 0


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
