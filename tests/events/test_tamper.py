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
    # 4 keyframes (one a second): only the first KEYFRAMES are decoded (issue 10 §5)
    assert first is not None and first.frames == tamper.KEYFRAMES < 4
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


class _CountLaunches:
    """Spy on subprocess.Popen: the real ffmpeg runs, its launches are counted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ffmpeg = 0
        real = subprocess.Popen

        def spy(cmd: list[str], *args: object, **kwargs: object) -> object:
            self.ffmpeg += cmd[0] == "ffmpeg"
            return real(cmd, *args, **kwargs)  # type: ignore[call-overload]

        monkeypatch.setattr(subprocess, "Popen", spy)


def test_segments_closed_together_share_one_ffmpeg_and_keep_their_own_verdicts(
        segments: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    alone = [tamper.analyse(segments[k]) for k in ("moving", "still", "black")]
    launches = _CountLaunches(monkeypatch)
    together = tamper.analyse_many([(segments[k], None) for k in ("moving", "still", "black")])
    assert launches.ffmpeg == 1  # issue 10 §5: one process start-up for a boundary
    assert together == alone
    moving, still, black = together
    assert moving is not None and not (moving.frozen or moving.black)
    assert still is not None and still.frozen and not still.black
    assert black is not None and black.black and not black.frozen


def test_an_unreadable_segment_spoils_no_other_of_its_batch(segments: dict[str, Path],
                                                           tmp_path: Path) -> None:
    torn = tmp_path / "torn.ts"
    torn.write_bytes(b"\x00not a transport stream" * 100)
    verdicts = tamper.analyse_many([(segments["still"], None), (torn, None),
                                    (tmp_path / "gone.ts", None), (segments["black"], None)])
    assert verdicts[1] is None and verdicts[2] is None
    assert verdicts[0] is not None and verdicts[0].frozen
    assert verdicts[3] is not None and verdicts[3].black


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
