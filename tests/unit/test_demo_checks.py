"""The demo's recording check judges what ffprobe measured against CAM-1..3 and the site file."""

from __future__ import annotations

from typing import Any

from beffroi.demo_checks import recording_checks, segments_keep_coming

CAM: dict[str, Any] = {"name": "cam-a", "legal_floor": [704, 576, 12],
                       "encoder": {"codec": "h264", "width": 1920, "height": 1080, "fps": 15}}


def _probe(**over: Any) -> dict[str, Any]:
    info = {"count": 3, "segment": "s.ts", "codec": "h264", "width": 1920, "height": 1080,
            "duration": 60.0, "fps": 15.0}
    return {"cam-a": {**info, **over}}


def test_recording_at_the_declared_size_and_rate_passes_with_its_figure() -> None:
    [check] = recording_checks(_probe(), [CAM])
    assert check.ok and "h264 1920×1080 @ 15 fps" in check.figure


def test_recording_below_the_legal_frame_rate_fails() -> None:
    [check] = recording_checks(_probe(fps=10.0), [CAM])
    assert not check.ok


def test_recording_at_another_size_or_codec_fails() -> None:
    assert not recording_checks(_probe(width=1280, height=720), [CAM])[0].ok
    assert not recording_checks(_probe(codec="hevc"), [CAM])[0].ok


def test_no_segment_at_all_fails() -> None:
    assert not recording_checks({"cam-a": {"count": 0}}, [CAM])[0].ok


def test_segments_keep_coming_needs_growth_on_every_camera() -> None:
    before = {"a": {"count": 2}, "b": {"count": 2}}
    assert segments_keep_coming(before, {"a": {"count": 3}, "b": {"count": 4}}, ["a", "b"], 61).ok
    assert not segments_keep_coming(before, {"a": {"count": 3}, "b": {"count": 2}},
                                    ["a", "b"], 61).ok
