"""Fixtures for the event tests: real receivers on 127.0.0.1 (HTTP webhook, aiosmtpd SMTP,
an RFC 5424 syslog receiver, Debian's mosquitto), real RTSP cameras and recorder processes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "recorder"))
sys.path.insert(0, str(HERE.parents[1]))

from event_peers import Mosquitto, SmtpSink, SyslogReceiver, WebhookReceiver  # noqa: E402
from recorder_harness import RecorderProcess, RtspServer, encode_clip  # noqa: E402

FPS = 15


@pytest.fixture(scope="session")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 768x576@15 clip (narrow-field compliant, CAM-1), encoded once."""
    return encode_clip(tmp_path_factory.mktemp("clips") / "clip576.h264", 768, 576, FPS, 6,
                       kbps=400)


@pytest.fixture
def camera(clip: Path) -> Iterator[RtspServer]:
    """One loopback RTSP camera (cam1)."""
    server = RtspServer(clip, FPS, mounts=1)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def recorder_factory(tmp_path: Path) -> Iterator[Callable[[Path], RecorderProcess]]:
    """`recorder run` processes, all killed at teardown."""
    started: list[RecorderProcess] = []

    def make(config: Path) -> RecorderProcess:
        proc = RecorderProcess(config, tmp_path / "recorder.log")
        proc.start()
        started.append(proc)
        return proc

    yield make
    for proc in started:
        proc.cleanup()


@pytest.fixture
def webhook_factory() -> Iterator[Callable[..., WebhookReceiver]]:
    """HTTP receivers on loopback, stopped at teardown."""
    made: list[WebhookReceiver] = []

    def make(**kwargs: object) -> WebhookReceiver:
        rx = WebhookReceiver(**kwargs)  # type: ignore[arg-type]
        made.append(rx)
        return rx

    yield make
    for rx in made:
        rx.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """aiosmtpd on loopback."""
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def syslog() -> Iterator[SyslogReceiver]:
    """An RFC 5424 (octet-counting) receiver on loopback."""
    rx = SyslogReceiver()
    rx.start()
    yield rx
    rx.stop()


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """Debian's mosquitto with its own config on a loopback port, and one subscriber."""
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.stop()
