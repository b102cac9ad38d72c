"""The recorder's metrics-only listener: what the department's monitoring may scrape, and only
that (ACC-4: no video, no account, no API route on that port)."""

from __future__ import annotations

import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "recorder"))

from recorder_harness import free_port, make_config

from recorder.config import ConfigError, load, parse
from recorder.metrics import Metrics
from recorder.metrics_server import MetricsServer


def _config(tmp_path: Path, metrics_listen: str) -> dict[str, object]:
    path = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:1/cam1")],
                       extra=())
    data = tomllib.loads(path.read_text())
    data["metrics"] = {"listen": metrics_listen}
    return data


def test_metrics_listener_is_read_from_its_own_table(tmp_path: Path) -> None:
    port = free_port()
    conf = parse(_config(tmp_path, f"127.0.0.1:{port}"))
    assert conf.metrics_listen == ("127.0.0.1", port)
    plain = load(make_config(tmp_path / "b", [("cam1", "rtsp://127.0.0.1:1/cam1")]))
    assert plain.metrics_listen is None  # no [metrics]: no listener at all


@pytest.mark.parametrize("which", ["api", "relay"])
def test_metrics_listener_sharing_a_video_port_is_refused(tmp_path: Path, which: str) -> None:
    data = _config(tmp_path, "")
    data["metrics"] = {"listen": data[which]["listen"]}  # type: ignore[index]
    with pytest.raises(ConfigError) as exc:
        parse(data)
    assert "metrics.listen" in str(exc.value) and "ACC-4" in str(exc.value)


def test_metrics_listener_never_binds_every_interface(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NET-1"):
        parse(_config(tmp_path, "0.0.0.0:9188"))


def test_metrics_port_serves_metrics_and_nothing_else(tmp_path: Path) -> None:
    metrics = Metrics(tmp_path)
    metrics.set_state("cam1", "recording")
    server = MetricsServer(("127.0.0.1", free_port()), metrics)
    server.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with urllib.request.urlopen(base + "/metrics", timeout=5) as resp:
            body = resp.read().decode()
        assert 'recorder_camera_state{camera="cam1",state="recording"} 1.0' in body
        for path in ("/", "/api/segments", "/api/export", "/live/cam1", "/metrics/../api"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + path, timeout=5)
            assert err.value.code == 404, path
    finally:
        server.stop()
