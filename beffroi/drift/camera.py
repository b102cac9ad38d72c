"""Camera drift: ONVIF read-back vs the rendered camera file (CAM-1..5, TIME-1, NET-3)."""

from __future__ import annotations

import time

from beffroi.drift.report import DeviceDrift, Status
from network.camera.model import CameraFileError
from network.camera.readback import read_check
from network.endpoints import Endpoint
from network.errors import NetworkError, UnreachableError


def check_camera(site: str, device: str, rendered: str, endpoint: Endpoint) -> DeviceDrift:
    """Compare one camera with its rendered settings; legal floors are named by rule id."""
    started = time.monotonic()
    result = DeviceDrift(site, device, "camera", Status.OK)
    try:
        check = read_check(device, rendered, endpoint)
    except (UnreachableError, NetworkError) as exc:
        result.status, result.detail = Status.UNREACHABLE, str(exc)
    except CameraFileError as exc:
        result.status, result.detail = Status.UNREACHABLE, f"{device}: {exc}"
    else:
        result.diff, result.rules = check.diff, check.rules
        result.unverifiable = check.unverifiable
        notes = [f"{r}: {m}" for r, m in check.below_floor]
        notes += [f"{d.rule} {d.field}: live {d.have}, intended {d.want}"
                  for d in check.differences]
        notes += [f"{r}: {m} (fail closed)" for r, m in check.fail_closed]
        notes += [f"{r}: {m}" for r, m in check.intrusions]
        if check.in_sync and not check.below_floor:
            result.detail = "ONVIF read-back matches the intent"
        else:
            result.status = Status.DRIFTED
            result.detail = "; ".join(notes)
    result.seconds = time.monotonic() - started
    return result
