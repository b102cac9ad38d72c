"""Role nvr: recordings storage (CAM-9), NUT standalone with clean shutdown."""

from __future__ import annotations

from typing import Any

NVR = "evrange-nvr"


def test_recordings_directory_is_private_to_the_recorder(lab: Any) -> None:
    store = lab(NVR).file("/srv/beffroi/video")
    assert store.is_directory
    assert (store.user, store.group, store.mode) == ("beffroi-recorder", "beffroi-recorder", 0o750)


def test_recorder_account_cannot_log_in(lab: Any) -> None:
    user = lab(NVR).user("beffroi-recorder")
    assert user.shell == "/usr/sbin/nologin"


def test_nut_is_standalone_and_shuts_down_cleanly(lab: Any) -> None:
    nvr = lab(NVR)
    with nvr.sudo():
        assert "MODE=standalone" in nvr.file("/etc/nut/nut.conf").content_string
        upsmon = nvr.file("/etc/nut/upsmon.conf")
        assert (upsmon.group, upsmon.mode) == ("nut", 0o640)
        text = upsmon.content_string
        ups = nvr.file("/etc/nut/ups.conf").content_string
    assert "MONITOR beffroi-ups@localhost 1 upsmon" in text
    assert 'SHUTDOWNCMD "/sbin/shutdown -h +0"' in text
    assert "override.battery.charge.low = 30" in ups


def test_nut_stays_stopped_where_no_ups_is_attached(lab: Any) -> None:
    """The lab has no USB UPS: configured, not started (nvr_ups_services_enabled: false)."""
    assert not lab(NVR).service("nut-monitor").is_running
