"""Tampering from what the recorder already stores (keyframes only, 32×18 grey thumbnails,
nothing about people — CAM-6): a frozen image, a black image, an abrupt lasting change of view.
Real ffmpeg on real MPEG-TS segments; then a real recorder on a camera that repeats one image."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from event_peers import WebhookReceiver, events_config, route
from recorder_harness import RecorderProcess, RtspServer, make_config, wait_for

from recorder.events import tamper


def _segment(folder: Path, source: str, seconds: int = 4) -> Path:
    path = folder / f"{source.split('=')[0]}.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-t",
                    str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0", "-g",
                    "15", "-pix_fmt", "yuv420p", "-f", "mpegts", str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def segments(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("tamper")
    return {"moving": _segment(folder, "testsrc2=size=768x576:rate=15"),
            "still": _segment(folder, "smptebars=size=768x576:rate=15"),
            "black": _segment(folder, "color=black:size=768x576:rate=15")}


def test_a_moving_scene_is_neither_frozen_black_nor_changed(segments: dict[str, Path]) -> None:
    first = tamper.analyse(segments["moving"])
    assert first is not None and first.frames == 4  # one keyframe a second
    again = tamper.analyse(segments["moving"], first.last)
    assert again is not None
    assert (again.frozen, again.black, again.scene_changed) == (False, False, False)


def test_a_repeated_image_is_frozen(segments: dict[str, Path]) -> None:
    verdict = tamper.analyse(segments["still"])
    assert verdict is not None and verdict.frozen and not verdict.black


def test_a_covered_lens_is_black_not_frozen(segments: dict[str, Path]) -> None:
    verdict = tamper.analyse(segments["black"])
    assert verdict is not None and verdict.black and not verdict.frozen


def test_a_turned_camera_is_an_abrupt_lasting_scene_change(segments: dict[str, Path]) -> None:
    before = tamper.analyse(segments["moving"])
    assert before is not None
    after = tamper.analyse(segments["still"], before.last)
    assert after is not None and after.scene_changed
    assert after.change > tamper.SCENE_THRESHOLD


def test_a_flash_that_does_not_last_is_not_a_scene_change() -> None:
    grey = bytes([120]) * tamper.FRAME
    white = bytes([250]) * tamper.FRAME
    verdict = tamper.judge([grey, white, grey, grey], reference=grey)
    assert verdict is not None and not verdict.scene_changed


def test_a_recorder_filming_a_repeated_image_reports_it_frozen(
        tmp_path: Path, webhook_factory: Callable[..., WebhookReceiver],
        recorder_factory: Callable[[Path], RecorderProcess]) -> None:
    clip = tmp_path / "still.h264"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "smptebars=size=768x576:rate=15", "-t", "4", "-c:v", "libx264", "-preset",
                    "ultrafast", "-bf", "0", "-g", "15", "-pix_fmt", "yuv420p", "-f", "h264",
                    str(clip)], check=True)
    server = RtspServer(clip, 15, mounts=1)
    server.start()
    try:
        rx = webhook_factory().start()
        config = make_config(tmp_path, [("cam1", server.url(1))], width=768, height=576)
        events_config(config, [route("mf", "operator", {"type": "webhook", "url": rx.url},
                                     ["stream_frozen", "stream_black", "scene_changed"])],
                      tamper=True)
        recorder_factory(config)
        assert wait_for(lambda: rx.events(), 40), "no tampering event"
        first = rx.events()[0]
        assert first["kind"] == "stream_frozen" and first["data"]["active"] is True
        assert first["source"]["camera"] == "cam1"
    finally:
        server.stop()
