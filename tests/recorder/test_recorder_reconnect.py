"""A camera that comes back is recorded again at once: while it refuses connections the
supervisor probes it every PROBE_INTERVAL and starts ffmpeg on the first probe that connects,
not after its backoff (issue 10 §5: the time to first bytes after a camera returns)."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from recorder_harness import free_port, make_config

from recorder import config, supervisor
from recorder.metrics import Metrics
from recorder.state import open_state
from recorder.writer import SegmentWriter


def test_a_refusing_camera_is_probed_until_it_answers_then_recorded_at_once(
        tmp_path: Path) -> None:
    port = free_port()
    st = open_state(config.load(make_config(tmp_path, [("cam1",
                                                        f"rtsp://127.0.0.1:{port}/cam1")])))
    try:
        writer = SegmentWriter(st, st.config.camera("cam1"), lambda: True,
                               Metrics(st.config.storage_root))
        rec = supervisor.CameraRecorder(writer)
        waits: list[float] = []
        probes: list[bool] = []
        real_wait, real_probe = rec._stop_evt.wait, rec._reachable
        listener: list[socket.socket] = []

        def wait(timeout: float | None = None) -> bool:
            waits.append(timeout or 0.0)
            if len(waits) == 3:  # the camera comes back after three refused probes
                listener.append(socket.create_server(("127.0.0.1", port)))
            return real_wait(timeout)

        def reachable() -> bool:
            probes.append(real_probe())
            return probes[-1]

        rec._stop_evt.wait = wait  # type: ignore[method-assign]
        rec._reachable = reachable  # type: ignore[method-assign]
        result: list[bool] = []
        worker = threading.Thread(target=lambda: result.append(rec._wait_for_camera(30.0)))
        worker.start()
        worker.join(10)
        assert result == [True]  # it was down, it answered: record now, not after 30 s
        assert probes == [False, False, False, True]
        assert set(waits) == {supervisor.PROBE_INTERVAL}
    finally:
        for s in listener:
            s.close()
        st.close()
