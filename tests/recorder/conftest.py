"""Fixtures for the recorder tests: real RTSP cameras on loopback, real ffmpeg, a real
recorder process. Every process is stopped by a finalizer."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
# tests/ is on sys.path (rootdir conftest): without the repo root before it, `import recorder`
# would resolve to the namespace package tests/recorder/ instead of the real package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from recorder_harness import RecorderProcess, RtspServer, encode_clip

FPS = 15


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1280x720@15 clip encoded once per session (narrow-field compliant: CAM-1/CAM-3)."""
    return encode_clip(tmp_path_factory.mktemp("clips") / "clip720.h264", 1280, 720, FPS, 10)


@pytest.fixture
def camera_server(clip: Path) -> Iterator[RtspServer]:
    """Two loopback RTSP cameras (cam1, cam2) serving the clip."""
    server = RtspServer(clip, FPS, mounts=2)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def recorder_factory(tmp_path: Path) -> Iterator[Callable[[Path], RecorderProcess]]:
    """Start `recorder run` processes; all are killed at teardown."""
    started: list[RecorderProcess] = []

    def make(config: Path) -> RecorderProcess:
        proc = RecorderProcess(config, tmp_path / "recorder.log")
        proc.start()
        started.append(proc)
        return proc

    yield make
    for proc in started:
        proc.cleanup()


@pytest.fixture(scope="session")
def small_segment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 2 s MPEG-TS H.264 segment (352x288@15), as ffmpeg -f segment would store it."""
    import subprocess

    path = tmp_path_factory.mktemp("seg") / "small.ts"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "testsrc2=size=352x288:rate=15", "-t", "2", "-c:v", "libx264", "-preset",
                    "ultrafast", "-bf", "0", "-g", "15", "-b:v", "400k", "-f", "mpegts",
                    str(path)], check=True)
    return path
