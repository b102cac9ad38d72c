"""With real parts on loopback: Prometheus (the intent's scrape job and rules) scrapes a real
recorder's metrics-only listener; the recorder stops; `RecorderDown` fires and Alertmanager
(the intent's routing) delivers it to the on-call webhook."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from monitoring_harness import WebhookReceiver, alertmanager, prometheus, query, wait_for
from recorder_harness import RecorderProcess, RtspServer, encode_clip, free_port, make_config
from validation.inventory_kit import DELETE, Edit, InventoryCopy

from beffroi.inventory import load_inventory
from beffroi.monitoring import monitoring_intent

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None or shutil.which("prometheus-alertmanager") is None,
    reason="Debian's prometheus and prometheus-alertmanager")
MON = ("monitoring",)


@pytest.fixture
def hook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


def _intent(moselle: InventoryCopy, hook: WebhookReceiver) -> dict[str, Any]:
    """The example department with short thresholds and its on-call webhook on loopback."""
    moselle.apply(Edit("department.yml", (*MON, "scrape_interval_seconds"), 5),
                  Edit("department.yml", (*MON, "thresholds", "recorder_down_seconds"), 15),
                  Edit("department.yml", (*MON, "grouping", "group_wait_seconds"), 0),
                  Edit("department.yml", (*MON, "on_call", 0, "email"), DELETE),
                  Edit("department.yml", (*MON, "smtp"), DELETE),
                  Edit("department.yml", (*MON, "on_call", 0, "webhook_url"), hook.url))
    return monitoring_intent(load_inventory(moselle.root))


def _scrape_this_recorder(prom: dict[str, Any], metrics_port: int, am_port: int
                          ) -> dict[str, Any]:
    """The intent's config with Évrange's job pointed at the loopback recorder; the other
    communes' jobs (real 10.57.x addresses) and the host's own textfiles are left out."""
    job = next(j for j in prom["scrape_configs"] if j["job_name"] == "beffroi-recorder-evrange")
    job["static_configs"][0]["targets"] = [f"127.0.0.1:{metrics_port}"]
    return {**prom, "scrape_configs": [job],
            "alerting": {"alertmanagers": [{"static_configs": [
                {"targets": [f"127.0.0.1:{am_port}"]}]}]}}


def test_a_stopped_recorder_fires_recorder_down_to_the_on_call(
        moselle: InventoryCopy, hook: WebhookReceiver, tmp_path: Path) -> None:
    mon = _intent(moselle, hook)
    clip = encode_clip(tmp_path / "clip.h264", 1280, 720, 15, 4)
    camera = RtspServer(clip, 15, mounts=1)
    metrics_port, prom_port, am_port = free_port(), free_port(), free_port()
    config = make_config(tmp_path, [("cam-mairie-narrow", camera.url(1))])
    config.write_text(config.read_text() + f'[metrics]\nlisten = "127.0.0.1:{metrics_port}"\n')
    recorder = RecorderProcess(config, tmp_path / "recorder.log")
    am = alertmanager(tmp_path, mon["alertmanager"], am_port)
    prom = prometheus(tmp_path, _scrape_this_recorder(mon["prometheus"], metrics_port, am_port),
                      mon["rules"], prom_port)
    try:
        camera.start()
        recorder.start()
        am.start()
        prom.start()
        up = 'up{beffroi="recorder",site="evrange"}'
        assert wait_for(lambda: [r for r in query(prom_port, up) if r["value"][1] == "1"], 60), \
            (tmp_path / "prometheus.log").read_text()[-2000:]
        recording = 'recorder_camera_state{site="evrange",state="recording"} == 1'
        assert wait_for(lambda: query(prom_port, recording), 60)  # the real recorder's metric
        assert hook.alerts("RecorderDown") == []
        recorder.terminate()
        fired = wait_for(lambda: hook.alerts("RecorderDown"), 120)
        assert fired, (tmp_path / "alertmanager.log").read_text()[-2000:]
        labels = fired[0]["labels"]
        assert (labels["site"], labels["nvr"], labels["severity"]) == (
            "evrange", "evrange-nvr", "critical")
        assert len({a["fingerprint"] for a in hook.alerts("RecorderDown")}) == 1  # one alert
    finally:
        prom.stop()
        am.stop()
        recorder.cleanup()
        camera.stop()
