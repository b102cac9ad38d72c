"""Cameras against a real third-party virtual ONVIF camera: ipycam 1.3.0 on 127.0.0.1.

ipycam has no ONVIF setter; the setters these tests drive (time, NTP, users, encoder, Media2
masks) are TEST CODE in onvif_sim_ext.py, not the vendor's — they emulate a camera firmware
so the provisioning path runs end to end over real SOAP/HTTP. What they prove: Beffroi's
ONVIF client, read-back, check mode, fail-closed behaviour and drift. What they do not prove:
that a given vendor's firmware honours these calls. Settings ONVIF Profile S cannot read
(audio, analytics, night mode, non-ONVIF services) are reported as unverifiable.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import intruder
import pytest
import yaml
from network_kit import SiteUnderTest, write_endpoints
from network_peers import ONVIF_PYTHON, CameraPeer, free_ports, onvif_camera, set_fps_by_hand
from onvif import ONVIFCamera

from network.camera import camera
from network.endpoints import Endpoint
from network.errors import NetworkError

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ONVIF_PYTHON.exists(),
                       reason="ONVIF peer not installed: run scripts/install-onvif-sim.sh"),
]
NARROW, CONTEXT = "cam-mairie-narrow", "cam-mairie-context"


def _rendered(site: SiteUnderTest, cam: str) -> str:
    return site.files[f"cameras/{cam}.yml"]


def _want(site: SiteUnderTest, cam: str) -> dict[str, Any]:
    """The rendered file as data (what the camera must show)."""
    data: dict[str, Any] = yaml.safe_load(_rendered(site, cam))
    return data


def _device(site: SiteUnderTest, cam: str) -> str:
    return f"{site.slug}-{cam}"


def _peer_for(site: SiteUnderTest, cam: str, masks: bool) -> Any:
    """A factory-fresh camera whose stream is below the intent (so apply has work to do)."""
    return onvif_camera(1280, 720, 10, 2048, masks=masks)


def _apply(site: SiteUnderTest, cam: str, peer: CameraPeer, check: bool = False) -> Any:
    return camera.apply(_device(site, cam), _rendered(site, cam), Endpoint("127.0.0.1", peer.port),
                        (peer.factory_user, peer.factory_password), check_mode=check)


async def _onvif(peer: CameraPeer, user: str, password: str) -> dict[str, Any]:
    """Read the camera with onvif-zeep-async directly, independently of Beffroi's client."""
    cam = ONVIFCamera("127.0.0.1", peer.port, user, password)
    try:
        await cam.update_xaddrs()
        dm = await cam.create_devicemgmt_service()
        media = await cam.create_media_service()
        users = await dm.GetUsers()
        ntp = await dm.GetNTP()
        vec = (await media.GetVideoEncoderConfigurations())[0]
        return {"users": sorted(u.Username for u in users),
                "ntp": [m.IPv4Address for m in ntp.NTPManual or []],
                "size": (vec.Resolution.Width, vec.Resolution.Height),
                "fps": vec.RateControl.FrameRateLimit, "kbps": vec.RateControl.BitrateLimit}
    finally:
        await cam.close()


def test_apply_then_read_back_equals_intent(evrange: SiteUnderTest) -> None:
    want = _want(evrange, NARROW)
    with _peer_for(evrange, NARROW, masks=True) as peer:
        result = _apply(evrange, NARROW, peer)
        assert result.changed
        live = asyncio.run(_onvif(peer, want["account"]["username"],
                                  want["account"]["password"]))
        assert live["users"] == [want["account"]["username"]]   # factory default removed
        assert live["ntp"] == want["time"]["ntp_servers"]
        enc = want["encoder"]
        assert live["size"] == (enc["width"], enc["height"])
        assert (live["fps"], live["kbps"]) == (enc["fps"], enc["bitrate_kbps"])
        check = camera.read_check(_device(evrange, NARROW), _rendered(evrange, NARROW),
                                  Endpoint("127.0.0.1", peer.port))
        assert check.in_sync and check.differences == [] and check.diff == ""
        masks = {(m["x"], m["y"], m["w"], m["h"]) for m in want["privacy_masks"]}
        assert masks and "privacy_masks" not in {d.field for d in check.differences}


def test_factory_login_is_refused_after_apply(evrange: SiteUnderTest) -> None:
    with _peer_for(evrange, NARROW, masks=True) as peer:
        _apply(evrange, NARROW, peer)
        with pytest.raises(Exception, match=r"(?i)not authorized|auth"):
            asyncio.run(_onvif(peer, peer.factory_user, peer.factory_password))


def test_second_apply_changes_nothing(evrange: SiteUnderTest) -> None:
    with _peer_for(evrange, NARROW, masks=True) as peer:
        _apply(evrange, NARROW, peer)
        again = _apply(evrange, NARROW, peer)
        assert not again.changed and again.actions == []


def test_check_mode_lists_actions_and_changes_nothing(evrange: SiteUnderTest) -> None:
    with _peer_for(evrange, NARROW, masks=True) as peer:
        planned = _apply(evrange, NARROW, peer, check=True)
        assert any("CAM-5" in a for a in planned.actions)
        assert any("NET-3" in a for a in planned.actions)
        assert "+encoder.fps: 15" in planned.diff
        live = asyncio.run(_onvif(peer, peer.factory_user, peer.factory_password))
        assert live["users"] == [peer.factory_user] and live["fps"] == 10


def test_fps_lowered_below_legal_minimum_is_drift_naming_cam_3(
        evrange: SiteUnderTest, cli: Any, tmp_path: Path) -> None:
    want = _want(evrange, NARROW)
    with _peer_for(evrange, NARROW, masks=True) as peer:
        _apply(evrange, NARROW, peer)
        eps = write_endpoints(tmp_path / "endpoints.yml", {
            _device(evrange, NARROW): {"host": "127.0.0.1", "port": peer.port}})
        args = ["drift", "--site", "evrange", "--kind", "camera", "--endpoints", str(eps),
                "--format", "json"]
        clean = cli(args)
        assert clean.exit_code == 0, clean.output
        asyncio.run(set_fps_by_hand(peer.port, want["account"]["username"],
                                     want["account"]["password"], 5))
        res = cli(args)
        assert res.exit_code == 1
        dev = next(d for d in res.json()["devices"] if d["device"] == _device(evrange, NARROW))
        assert dev["status"] == "drifted" and "CAM-3" in dev["rules"]
        assert "below the legal minimum 12 fps" in dev["detail"]
        assert "-encoder.fps: 5\n" in dev["diff"] and f"+encoder.fps: {want['encoder']['fps']}" \
            in dev["diff"]


def test_camera_without_mask_service_fails_closed_on_cam_5(
        evrange: SiteUnderTest, cli: Any, tmp_path: Path) -> None:
    with _peer_for(evrange, NARROW, masks=False) as peer:
        with pytest.raises(NetworkError, match="CAM-5") as err:
            _apply(evrange, NARROW, peer)
        assert "recording must not be enabled" in str(err.value)
        eps = write_endpoints(tmp_path / "endpoints.yml", {
            _device(evrange, NARROW): {"host": "127.0.0.1", "port": peer.port}})
        res = cli(["drift", "--site", "evrange", "--kind", "camera", "--endpoints", str(eps),
                   "--format", "json"])
        dev = next(d for d in res.json()["devices"] if d["device"] == _device(evrange, NARROW))
        assert res.exit_code == 1 and dev["status"] == "drifted" and "CAM-5" in dev["rules"]
        assert "fail closed" in dev["detail"]


def test_camera_without_declared_masks_converges_on_a_model_without_mask_service(
        evrange: SiteUnderTest) -> None:
    assert _want(evrange, CONTEXT)["privacy_masks"] == []
    with _peer_for(evrange, CONTEXT, masks=False) as peer:
        assert _apply(evrange, CONTEXT, peer).changed
        assert not _apply(evrange, CONTEXT, peer).changed


def test_encoder_below_legal_floor_is_refused_before_touching_the_camera(
        evrange: SiteUnderTest) -> None:
    bad = _rendered(evrange, NARROW).replace("  fps: 15\n", "  fps: 8\n")
    assert bad != _rendered(evrange, NARROW)
    with _peer_for(evrange, NARROW, masks=True) as peer:
        with pytest.raises(NetworkError, match="CAM-3"):
            camera.apply(_device(evrange, NARROW), bad, Endpoint("127.0.0.1", peer.port),
                         (peer.factory_user, peer.factory_password))
        live = asyncio.run(_onvif(peer, peer.factory_user, peer.factory_password))
        assert live["users"] == [peer.factory_user] and live["fps"] == 10


def test_camera_that_does_not_answer_is_unreachable(evrange: SiteUnderTest, cli: Any,
                                                     tmp_path: Path) -> None:
    (closed,) = free_ports(1)
    eps = write_endpoints(tmp_path / "endpoints.yml", {
        _device(evrange, NARROW): {"host": "127.0.0.1", "port": closed}})
    res = cli(["drift", "--site", "evrange", "--kind", "camera", "--endpoints", str(eps),
               "--format", "json"])
    assert res.exit_code == 3
    statuses = {d["device"]: d["status"] for d in res.json()["devices"]}
    assert statuses == {_device(evrange, NARROW): "unreachable",
                        _device(evrange, CONTEXT): "skipped"}


def test_both_cameras_are_audited_concurrently_without_blocking_each_other(
        evrange: SiteUnderTest, cli: Any, tmp_path: Path) -> None:
    """onvif-zeep-async binds a module-level lock to one event loop: drift's worker threads
    must share one loop, or the second camera hangs until its timeout."""
    with _peer_for(evrange, NARROW, masks=True) as one, \
            _peer_for(evrange, CONTEXT, masks=True) as two:
        _apply(evrange, NARROW, one)
        _apply(evrange, CONTEXT, two)
        eps = write_endpoints(tmp_path / "endpoints.yml", {
            _device(evrange, NARROW): {"host": "127.0.0.1", "port": one.port},
            _device(evrange, CONTEXT): {"host": "127.0.0.1", "port": two.port}})
        res = cli(["drift", "--site", "evrange", "--kind", "camera", "--endpoints", str(eps),
                   "--format", "json", "--workers", "4"])
        assert res.exit_code == 0, res.output
        assert [d["status"] for d in res.json()["devices"]] == ["ok", "ok"]


# --- what an intruder would do (issue 12): accounts, NET-3 ----------------------------------

def _audit(site: SiteUnderTest, cam: str, peer: CameraPeer, cli: Any, tmp_path: Path
           ) -> tuple[int, dict[str, Any], str]:
    eps = write_endpoints(tmp_path / "endpoints.yml", {
        _device(site, cam): {"host": "127.0.0.1", "port": peer.port}})
    res = cli(["drift", "--site", site.slug, "--kind", "camera", "--endpoints", str(eps),
               "--format", "json"])
    dev = next(d for d in res.json()["devices"] if d["device"] == _device(site, cam))
    return res.exit_code, dev, res.stdout


@pytest.mark.parametrize("level", ["Operator", "User"])
def test_demoted_vaulted_account_is_drift_on_net_3(
        evrange: SiteUnderTest, cli: Any, tmp_path: Path, level: str) -> None:
    acct = _want(evrange, CONTEXT)["account"]
    with _peer_for(evrange, CONTEXT, masks=True) as peer:
        _apply(evrange, CONTEXT, peer)
        asyncio.run(intruder.camera_set_level("127.0.0.1", peer.port,
                                              (acct["username"], acct["password"]),
                                              acct["username"], level))
        code, dev, out = _audit(evrange, CONTEXT, peer, cli, tmp_path)
    assert code == 1 and dev["status"] == "drifted" and "NET-3" in dev["rules"]
    assert f"-accounts: {acct['username']} ({level})" in dev["diff"]
    assert f"+accounts: {acct['username']} (Administrator)" in dev["diff"]
    assert acct["password"] not in out


def test_extra_camera_account_is_drift_on_net_3(evrange: SiteUnderTest, cli: Any,
                                                tmp_path: Path) -> None:
    acct = _want(evrange, CONTEXT)["account"]
    with _peer_for(evrange, CONTEXT, masks=True) as peer:
        _apply(evrange, CONTEXT, peer)
        asyncio.run(intruder.camera_add_user("127.0.0.1", peer.port,
                                             (acct["username"], acct["password"]),
                                             "maint", "Maint-2024!", "Operator"))
        code, dev, _ = _audit(evrange, CONTEXT, peer, cli, tmp_path)
    assert code == 1 and "NET-3" in dev["rules"] and "maint (Operator)" in dev["diff"]


@pytest.mark.parametrize("factory", [("admin", "admin"), ("root", "pass")])
def test_factory_login_answering_beside_the_vaulted_account_is_drift_on_net_3(
        evrange: SiteUnderTest, cli: Any, tmp_path: Path, factory: tuple[str, str]) -> None:
    acct = _want(evrange, CONTEXT)["account"]
    with _peer_for(evrange, CONTEXT, masks=True) as peer:
        _apply(evrange, CONTEXT, peer)
        asyncio.run(intruder.camera_add_user("127.0.0.1", peer.port,
                                             (acct["username"], acct["password"]), *factory))
        code, dev, _ = _audit(evrange, CONTEXT, peer, cli, tmp_path)
    assert code == 1 and dev["status"] == "drifted" and "NET-3" in dev["rules"]
    assert f"factory login {factory[0]!r} answers with its factory default" in dev["detail"]


def test_camera_reset_to_its_factory_login_is_drift_not_unreachable(
        evrange: SiteUnderTest, cli: Any, tmp_path: Path) -> None:
    """The vaulted account is gone and admin/admin answers: taken over or reset (NET-3)."""
    acct = _want(evrange, CONTEXT)["account"]
    with _peer_for(evrange, CONTEXT, masks=True) as peer:
        _apply(evrange, CONTEXT, peer)
        vaulted = (acct["username"], acct["password"])
        asyncio.run(intruder.camera_add_user("127.0.0.1", peer.port, vaulted, "admin", "admin"))
        asyncio.run(intruder.camera_delete_user("127.0.0.1", peer.port, ("admin", "admin"),
                                                acct["username"]))
        code, dev, out = _audit(evrange, CONTEXT, peer, cli, tmp_path)
    assert code == 1 and dev["status"] == "drifted" and dev["rules"] == ["NET-3"]
    assert f"the vaulted account {acct['username']} is refused while factory login 'admin' " \
        "answers" in dev["detail"]
    assert acct["password"] not in out
