"""`recorder run`: repair the index, start one supervised ffmpeg per camera, the API and the
periodic purge; on SIGTERM finish and index the current segments, then exit 0."""

from __future__ import annotations

import hashlib
import json
import logging
import signal
import threading
from types import FrameType

from recorder import checkpoint, clock, retention, timeutil
from recorder.api import ApiContext, make_server
from recorder.config import Config
from recorder.events.dispatcher import Dispatcher
from recorder.events.onvif import OnvifEvents
from recorder.events.router import Emitter
from recorder.events.sources import Watcher
from recorder.metrics import Metrics
from recorder.metrics_server import MetricsServer
from recorder.repair import repair_unindexed
from recorder.runmarker import RunMarker
from recorder.state import State, open_state
from recorder.supervisor import CameraRecorder
from recorder.writer import SegmentWriter

log = logging.getLogger("recorder.service")


def _config_digest(conf: Config) -> str:
    return hashlib.sha256(json.dumps(conf.raw, sort_keys=True, default=str).encode()).hexdigest()


def _journal_config(state: State) -> None:
    """JRN-1: a configuration change is journaled (detected at start by the config digest)."""
    digest = _config_digest(state.config)
    previous = None
    for entry in state.journal.entries():
        if entry["kind"] == "config_applied":
            previous = entry["data"]["sha256"]
    if digest != previous:
        state.journal.append("config_applied", {"user": "system", "sha256": digest,
                                                "previous_sha256": previous,
                                                "source": state.config.source})


class Service:
    """The running recorder (also driven directly by tests and the benchmark)."""

    def __init__(self, conf: Config) -> None:
        self.conf = conf
        self.state = open_state(conf)
        conf.storage_root.mkdir(parents=True, exist_ok=True)
        self.metrics = Metrics(conf.storage_root, conf.state_dir)
        self.metrics.seed_gaps(self.state.index.gaps())  # gaps of the last 24 h (beffroi status)
        self.sync = clock.make(conf.sync_check)
        self.stop_event = threading.Event()
        self.alarm = False
        self.recorders: list[CameraRecorder] = []
        self.marker = RunMarker(self.state)
        # issue 15: events from what the recorder sees, spooled and delivered per partner
        self.dispatcher = Dispatcher(conf, self.state.journal, self.state.key)
        self.dispatcher.register_metrics(self.metrics.registry)
        self.emitter = Emitter(conf, self.state.journal, wake=self.dispatcher.wake)
        self.watcher = Watcher(self.state, self.emitter, self.camera_status, self.sync)
        self.onvif = [OnvifEvents(conf.site, src, conf.camera(src.camera).location,
                                  self.emitter.emit) for src in conf.events.onvif]

    def start(self) -> None:
        """Repair, then start recorders, API and purge loop."""
        st = self.state
        # bind the API first (address, TLS pair): a bad one stops us before any camera starts
        ctx = ApiContext(st, self.metrics, status_fn=self.camera_status,
                         alarm_fn=lambda: self.alarm)
        self.server = make_server(ctx)
        listen = self.conf.metrics_listen
        self.metrics_server = MetricsServer(listen, self.metrics) if listen else None
        unclean = self.marker.start()
        st.journal.append("service_start", {"user": "system", "site": self.conf.site,
                                            "cameras": [c.id for c in self.conf.cameras]})
        if unclean is not None:
            # JRN-1: the previous run died (kill -9, crash, power cut) without its stop entry
            log.warning("previous run did not stop cleanly", extra=unclean)
            st.journal.append("unclean_shutdown", unclean)
        _journal_config(st)
        self.checkpoint_once()
        # one write path per camera: the repair writes through it, then its recorder does
        writers = [SegmentWriter(st, cam, self.sync, self.metrics) for cam in self.conf.cameras]
        for writer in writers:
            n = repair_unindexed(writer)
            if n:
                log.warning("index repaired after an unclean stop",
                            extra={"camera": writer.camera.id, "segments": n})
        for writer in writers:
            rec = CameraRecorder(writer)
            self.recorders.append(rec)
            rec.start()
        self.api_thread = threading.Thread(target=self.server.serve_forever, args=(1.0,),
                                           name="api", daemon=True)
        self.api_thread.start()
        if self.metrics_server is not None:
            self.metrics_server.start()
        self.purge_thread = threading.Thread(target=self._purge_loop, name="purge", daemon=True)
        self.purge_thread.start()
        self.checkpoint_thread = threading.Thread(target=self._checkpoint_loop,
                                                  name="checkpoint", daemon=True)
        self.checkpoint_thread.start()
        self.dispatcher.start()
        self.watcher.start()
        for puller in self.onvif:
            puller.start()
        host, port = self.conf.api_listen
        log.info("recorder started", extra={"site": self.conf.site, "api": f"{host}:{port}"})

    def camera_status(self) -> dict[str, str]:
        """Supervisor state of every camera."""
        return {r.camera.id: r.status for r in self.recorders}

    def purge_once(self) -> retention.PurgeResult:
        """One retention pass at the current time, reflected in the metrics."""
        result = retention.purge(self.state, timeutil.now())
        if result.alarm and not self.alarm:
            log.error("ALARM: disk pressure, only held video left")
        if result.alarm_mass_purge:
            log.error("ALARM: purge stopped: it would destroy more than max_purge_share of the "
                      "unheld video (clock jump? retention_days?)")
        self.alarm = result.alarm or result.alarm_mass_purge
        self.metrics.disk_alarm.set(1 if result.alarm else 0)
        self.metrics.purge_refused.set(1 if result.alarm_mass_purge else 0)
        self.metrics.purged.labels("age").inc(len(result.destroyed_age))
        self.metrics.purged.labels("disk_pressure").inc(len(result.destroyed_pressure))
        self.metrics.oldest_unheld_age.set(retention.oldest_unheld_age(self.state,
                                                                       timeutil.now()))
        return result

    def checkpoint_once(self) -> None:
        """JRN-2: sign the chain heads into checkpoint_dir and expose them in the metrics."""
        cp = checkpoint.write(self.state)
        self.metrics.checkpoint_written(cp)
        self.marker.heartbeat()

    def _checkpoint_loop(self) -> None:
        while not self.stop_event.wait(self.conf.recorder.checkpoint_interval_seconds):
            try:
                self.checkpoint_once()
            except Exception:
                log.exception("checkpoint failed; will retry")

    def _purge_loop(self) -> None:
        while not self.stop_event.wait(self.conf.purge_interval_seconds):
            try:
                self.purge_once()
            except Exception:
                log.exception("purge failed; will retry")

    def stop(self) -> None:
        """Graceful stop: ffmpeg closes its segments, they are indexed, then the API stops."""
        self.stop_event.set()
        self.watcher.stop()
        for puller in self.onvif:
            puller.stop()
        for rec in self.recorders:
            rec.stop()
        for rec in self.recorders:
            rec.join(timeout=30)
        self.server.shutdown()
        self.server.server_close()
        self.dispatcher.stop()
        for thread in (self.watcher, self.dispatcher):
            if thread.is_alive():
                thread.join(timeout=10)  # what is not sent stays in the spool
        if self.metrics_server is not None:
            self.metrics_server.stop()
        self.state.journal.append("service_stop", {"user": "system"})
        try:
            self.checkpoint_once()
        except OSError:
            log.exception("final checkpoint failed")  # the stop itself is still clean
        self.marker.stop()
        self.state.close()
        log.info("recorder stopped")


def run(conf: Config) -> int:
    """Run until SIGTERM/SIGINT."""
    svc = Service(conf)
    done = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    svc.start()
    svc.purge_once()
    while not done.wait(5.0):
        pass
    svc.stop()
    return 0
