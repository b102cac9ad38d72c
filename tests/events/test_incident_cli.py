"""`recorder incident` and `recorder events list|ack`: an operator raises an incident by hand
(camera, type, comment), it is journaled and spooled for the partners; acknowledgements are
journaled once per person; bad input is one clear line, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from event_peers import events_config, route
from recorder_harness import REPO, make_config

from recorder import config as cfgmod
from recorder.events.router import spool_dir


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recorder.cli", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=60, check=False)


def _config(tmp_path: Path) -> Path:
    config = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")], width=768,
                         height=576)
    return events_config(config, [route("sdis57", "sdis", {
        "type": "webhook", "url": "https://10.58.0.1/a"}, ["incident"],
        incident_types=["accident"], live_link=True)])


def test_incident_is_journaled_spooled_and_acknowledged_once(tmp_path: Path) -> None:
    config = _config(tmp_path)
    out = _cli("incident", "-c", str(config), "--camera", "cam1", "--type", "accident",
               "--comment", "Choc entre deux véhicules", "--by", "mdupont")
    assert out.returncode == 0, out.stderr
    event_id = out.stdout.split()[1]
    assert "sdis57" in out.stdout
    pending = spool_dir(cfgmod.load(config)).pending("sdis57")
    assert [d.event.id for d in pending] == [event_id]
    assert pending[0].event.data.raised_by == "mdupont"
    ack = _cli("events", "ack", "-c", str(config), event_id, "--by", "sdis-lmartin",
               "--note", "Engins partis")
    assert ack.returncode == 0, ack.stderr
    again = _cli("events", "ack", "-c", str(config), event_id, "--by", "sdis-lmartin")
    assert again.returncode == 1 and "already acknowledged" in again.stderr
    rows = [json.loads(line) for line in _cli("events", "list", "-c", str(config))
            .stdout.splitlines()]
    assert rows[-1]["event"] == event_id and rows[-1]["acknowledged_by"] == ["sdis-lmartin"]


def test_incident_input_errors_are_one_clear_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    for args, expect in (
            (("--camera", "cam9", "--type", "fire", "--comment", "x", "--by", "mdupont"),
             "unknown camera"),
            (("--camera", "cam1", "--type", "fire", "--comment", "a\nb", "--by", "mdupont"),
             "one line"),
            (("--camera", "cam1", "--type", "fire", "--comment", "x", "--by", "nobody"),
             "ACC-1")):
        out = _cli("incident", "-c", str(config), *args)
        assert out.returncode == 1 and expect in out.stderr, out.stderr
        assert "Traceback" not in out.stderr
    bad_type = _cli("incident", "-c", str(config), "--camera", "cam1", "--type",
                    "face_match", "--comment", "x")
    assert bad_type.returncode == 2 and "Traceback" not in bad_type.stderr
    ack = _cli("events", "ack", "-c", str(config), "no-such-event", "--by", "mdupont")
    assert ack.returncode == 1 and "no event" in ack.stderr
    ack = _cli("events", "ack", "-c", str(config), "no-such-event", "--by", "intrus")
    assert ack.returncode == 1 and "ACC-1" in ack.stderr


def test_a_failed_verify_is_spooled_as_an_event_for_the_running_service(tmp_path: Path) -> None:
    config = make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")], width=768,
                         height=576)
    events_config(config, [route("mf", "operator", {"type": "webhook",
                                                    "url": "https://10.58.0.1/a"},
                                 ["verify_failed"])])
    from recorder.state import open_state
    state = open_state(cfgmod.load(config))
    for user in ("mdupont", "pbernard"):
        state.journal.append("live_view", {"user": user, "camera": "cam1"})
    state.close()
    journal = next((tmp_path / "state" / "journal").glob("*.jsonl"))
    lines = journal.read_text().splitlines()
    lines[0] = lines[0].replace("mdupont", "mallory")  # altered after the fact
    journal.write_text("\n".join(lines) + "\n")
    out = _cli("verify", "-c", str(config))
    assert out.returncode == 1 and "verify FAILED" in out.stderr
    pending = spool_dir(cfgmod.load(config)).pending("mf")
    assert [d.event.kind for d in pending] == ["verify_failed"]
    assert "journal" in pending[0].event.data.message
