"""An unclean stop (kill -9, power cut) leaves a journal entry at the next start (JRN-1); a
clean stop does not; the service leaves a signed checkpoint at start and stop (JRN-2)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from recorder_harness import RecorderProcess, RtspServer, cli, make_config, wait_for

from recorder import config
from recorder.state import open_state


def _journal(conf: config.Config, kind: str) -> list[dict[str, object]]:
    st = open_state(conf)
    try:
        return [e for e in st.journal.entries() if e["kind"] == kind]
    finally:
        st.close()


def test_kill9_leaves_unclean_shutdown_entry_at_next_start(
        tmp_path: Path, camera_server: RtspServer,
        recorder_factory: Callable[[Path], RecorderProcess]) -> None:
    path = make_config(tmp_path, [("cam1", camera_server.url(1))])
    conf = config.load(path)
    rec = recorder_factory(path)
    assert wait_for(lambda: len(_journal(conf, "service_start")) >= 1, 20)
    time.sleep(3)  # a segment or two: the register's head moves on
    assert rec.proc is not None
    pid = rec.proc.pid
    rec.kill9()
    killed = time.time()
    assert not _journal(conf, "unclean_shutdown")
    rec2 = recorder_factory(path)
    assert wait_for(lambda: _journal(conf, "unclean_shutdown"), 20), "no unclean_shutdown entry"
    rec2.terminate()
    entries = _journal(conf, "unclean_shutdown")
    assert len(entries) == 1
    data = entries[0]["data"]
    assert isinstance(data, dict) and data["previous_pid"] == pid
    # the last known instant is the dead process's last trace, before the kill
    assert killed - 10 < float(data["last_known_t"]) <= killed + 0.1
    starts = [e["seq"] for e in _journal(conf, "service_start")]
    assert starts[-1] < entries[0]["seq"]  # journaled by the new run, at its start
    # a clean stop is not reported as unclean at the next start
    rec3 = recorder_factory(path)
    assert wait_for(lambda: len(_journal(conf, "service_start")) >= 3, 20)
    rec3.terminate()
    assert len(_journal(conf, "unclean_shutdown")) == 1
    # the stop left a checkpoint naming the journal's head (service_stop)
    latest = json.loads(cli("checkpoint", "--config", str(path), "--latest").stdout)
    assert latest["journal"]["seq"] == _journal(conf, "service_stop")[-1]["seq"]
    assert cli("verify", "--config", str(path)).returncode == 0
