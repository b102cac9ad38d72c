"""Camera-side events through an ONVIF PullPoint subscription (onvif-zeep-async 4.3.0).

The camera is ipycam 1.3.0 with TEST-CODE extensions, not the vendor's: the setters of
tests/network/onvif_sim_ext.py and the Events service of tests/events/onvif_events_sim.py
(ipycam has no Events service). Only the camera's own image becomes an event (CAM-6): a scene
change the camera is declared for is emitted; motion and undeclared topics are dropped."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from recorder_harness import REPO, free_port, wait_for

from recorder.events import event as ev
from recorder.events.onvif import OnvifEvents, classify
from recorder.schema import OnvifSource

HERE = Path(__file__).resolve().parent
# the ipycam venv (scripts/install-onvif-sim.sh): this checkout's, else the main checkout's
ONVIF_PYTHON = next((p for p in (REPO / ".venv-onvif" / "bin" / "python",
                                 (REPO / ".venv").resolve().parent / ".venv-onvif" / "bin" /
                                 "python") if p.exists()), None)


@pytest.fixture
def camera() -> Iterator[tuple[int, subprocess.Popen[str]]]:
    if ONVIF_PYTHON is None:
        pytest.skip("the ipycam venv is missing: run scripts/install-onvif-sim.sh")
    port, rtsp = free_port(), free_port()
    proc = subprocess.Popen([str(ONVIF_PYTHON), str(HERE / "onvif_events_sim.py"), str(port),
                             str(rtsp), "admin", "admin", "768x576", "15", "800", "nomasks"],
                            cwd=HERE.parent / "network", stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while proc.stdout.readline().strip() != "READY":
            assert proc.poll() is None and time.monotonic() < deadline, "ipycam did not start"
        yield port, proc
    finally:
        proc.kill()
        proc.wait()


def _notify(proc: subprocess.Popen[str], topic: str, state: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(f"{topic} {state}\n")
    proc.stdin.flush()


def test_pullpoint_scene_change_is_emitted_and_motion_is_not(
        camera: tuple[int, subprocess.Popen[str]]) -> None:
    port, proc = camera
    got: list[ev.Event] = []
    puller = OnvifEvents("evrange", OnvifSource(camera="cam1", host="127.0.0.1", port=port,
                                                username="admin", password="admin",
                                                analytics=("scene_change",)),
                         "Mât de la mairie", got.append)
    puller.start()
    try:
        assert puller.subscribed.wait(30), "no PullPoint subscription"
        _notify(proc, "tns1:RuleEngine/CellMotionDetector/Motion", "true")
        _notify(proc, "tns1:VideoSource/ImageTooDark/ImagingService", "true")  # not declared
        _notify(proc, "tns1:VideoSource/GlobalSceneChange/ImagingService", "true")
        _notify(proc, "tns1:VideoSource/GlobalSceneChange/ImagingService", "false")
        assert wait_for(lambda: len(got) >= 2, 20), (puller.received, puller.dropped)
        time.sleep(1.5)
    finally:
        puller.stop()
        puller.join(15)
    assert [(e.kind, e.data.active) for e in got] == [("camera_tamper", True),
                                                      ("camera_tamper", False)]
    assert got[0].data.onvif_topic == "tns1:VideoSource/GlobalSceneChange/ImagingService"
    assert got[0].source.producer == "camera" and got[0].source.camera == "cam1"
    assert puller.dropped == 2 and puller.received == 4


@pytest.mark.parametrize("topic", ["tns1:RuleEngine/CellMotionDetector/Motion",
                                   "tns1:VideoSource/MotionAlarm",
                                   "tns1:RuleEngine/FaceDetector/Face",
                                   "tns1:RuleEngine/LicensePlateRecognition/Plate",
                                   "tns1:RuleEngine/LineDetector/Crossed",
                                   "tns1:VideoAnalytics/ObjectDetection/Human"])
def test_no_analytic_about_people_or_motion_is_ever_classified(topic: str) -> None:
    assert classify(topic, ("scene_change", "image_too_dark", "image_too_blurry",
                            "image_too_bright", "signal_loss")) is None
