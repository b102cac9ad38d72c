"""`recorder verify`: tampering with a register line, a journal line or a segment is found and
named; the exit code is non-zero (REG-1, JRN-2, CAM-4 integrity)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from recorder_harness import PASSWORD, cli, make_config, seed_segments

from recorder import config, timeutil
from recorder.state import State, open_state


@pytest.fixture
def recorded(tmp_path: Path, small_segment: Path) -> State:
    conf = config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/cam1")]))
    st = open_state(conf)
    seed_segments(st, "cam1", small_segment, [timeutil.now() - 60 + 2 * i for i in range(4)])
    st.journal.append("login", {"user": "mdupont"})
    st.journal.append("playback", {"user": "mdupont", "camera": "cam1"})
    st.close()
    return open_state(conf)


def _verify(st: State) -> tuple[int, str]:
    res = cli("verify", "--config", st.config.source)
    return res.returncode, res.stdout + res.stderr


def _edit_line(directory: Path, lineno: int, old: str, new: str) -> str:
    path = sorted(directory.glob("*.jsonl"))[-1]
    lines = path.read_text().splitlines(keepends=True)
    assert old in lines[lineno - 1]
    lines[lineno - 1] = lines[lineno - 1].replace(old, new)
    path.write_text("".join(lines))
    return path.name


def test_verify_passes_on_untouched_recording(recorded: State) -> None:
    rc, out = _verify(recorded)
    assert rc == 0, out
    assert "4 segments" in out


def test_verify_names_altered_register_line(recorded: State) -> None:
    name = _edit_line(recorded.config.register_dir, 2, '"camera":"cam1"', '"camera":"cam9"')
    rc, out = _verify(recorded)
    assert rc == 1
    assert f"register: register/{name} line 2" in out and "altered" in out


def test_verify_names_altered_journal_line(recorded: State) -> None:
    name = _edit_line(recorded.config.journal_dir, 2, '"user":"mdupont"', '"user":"quelquun"')
    rc, out = _verify(recorded)
    assert rc == 1
    assert f"journal: journal/{name} line 2" in out


def test_verify_names_altered_segment(recorded: State) -> None:
    seg = recorded.index.segments("cam1")[2]
    path = recorded.abspath(seg.path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit in the video
    path.write_bytes(bytes(data))
    rc, out = _verify(recorded)
    assert rc == 1
    assert seg.path in out and "video altered" in out


def test_verify_detects_index_rewritten_to_match_altered_segment(recorded: State,
                                                                 small_segment: Path) -> None:
    """Changing the video AND its hash in the index is caught by the signed register."""
    import sqlite3

    from recorder.state import sha256_file

    seg = recorded.index.segments("cam1")[1]
    path = recorded.abspath(seg.path)
    path.write_bytes(path.read_bytes()[:-188])  # drop the last TS packet
    db = sqlite3.connect(recorded.config.index_path)
    db.execute("UPDATE segments SET sha256=? WHERE id=?", (sha256_file(path), seg.id))
    db.commit()
    db.close()
    rc, out = _verify(recorded)
    assert rc == 1 and seg.path in out and "index altered" in out


def test_verify_detects_segment_deleted_outside_purge(recorded: State) -> None:
    seg = recorded.index.segments("cam1")[0]
    recorded.abspath(seg.path).unlink()
    rc, out = _verify(recorded)
    assert rc == 1 and seg.path in out and "missing" in out


def _sql(st: State, statement: str, *args: object) -> None:
    import sqlite3

    db = sqlite3.connect(st.config.index_path)
    db.execute(statement, args)
    db.commit()
    db.close()


def test_verify_detects_segment_deleted_with_its_index_row(recorded: State) -> None:
    """REG-1: the signed `recording` entry outlives the index; no destruction entry -> FAILED."""
    seg = recorded.index.segments("cam1")[1]
    recorded.abspath(seg.path).unlink()
    _sql(recorded, "DELETE FROM segments WHERE id=?", seg.id)
    rc, out = _verify(recorded)
    assert rc == 1, out
    assert seg.path in out and "no `destruction` entry" in out


def test_verify_detects_row_marked_purged_without_destruction_entry(recorded: State) -> None:
    seg = recorded.index.segments("cam1")[2]
    recorded.abspath(seg.path).unlink()
    _sql(recorded, "UPDATE segments SET status='purged', purged_at=1, purge_reason='x' "
         "WHERE id=?", seg.id)
    rc, out = _verify(recorded)
    assert rc == 1, out
    assert seg.path in out and "no `destruction` entry" in out


def test_verify_detects_indexed_purged_row_without_recording_entry(recorded: State) -> None:
    _sql(recorded, "INSERT INTO segments (camera, start, \"end\", path, size, sha256, valid, "
         "repaired, run, status) VALUES ('cam1', 1, 2, 'cam1/ghost.ts', 1, 'ab', 1, 0, 'r', "
         "'purged')")
    rc, out = _verify(recorded)
    assert rc == 1 and "cam1/ghost.ts" in out and "no `recording` entry" in out, out


def test_verify_accepts_a_registered_purge(recorded: State) -> None:
    from recorder import retention

    seg = recorded.index.segments("cam1")[0]
    retention._destroy(recorded, seg, "age>15d (RET-1)", timeutil.now())
    rc, out = _verify(recorded)
    assert rc == 0, out
    assert "3 segments" in out


def _cut_last_line(directory: Path) -> None:
    path = sorted(directory.glob("*.jsonl"))[-1]
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # a clean cut at a line boundary: the chain still links


def test_verify_detects_journal_tail_cut_after_a_checkpoint(recorded: State) -> None:
    """JRN-2: the signed checkpoint (in checkpoint_dir) names the journal head; a cut tail is
    below it."""
    res = cli("checkpoint", "--config", recorded.config.source)
    assert res.returncode == 0, res.stderr
    assert _verify(recorded)[0] == 0
    _cut_last_line(recorded.config.journal_dir)
    rc, out = _verify(recorded)
    assert rc == 1, out
    assert "journal" in out and "checkpoint" in out and "cut" in out


def test_verify_detects_register_tail_cut_after_a_checkpoint(recorded: State) -> None:
    assert cli("checkpoint", "--config", recorded.config.source).returncode == 0
    _cut_last_line(recorded.config.register_dir)
    _sql(recorded, "DELETE FROM segments WHERE id=(SELECT max(id) FROM segments)")
    rc, out = _verify(recorded)
    assert rc == 1 and "register" in out and "checkpoint" in out, out


def test_verify_detects_rewritten_head_against_checkpoint(recorded: State) -> None:
    """Cut the last entry and append a new, validly signed one at the same seq."""
    assert cli("checkpoint", "--config", recorded.config.source).returncode == 0
    _cut_last_line(recorded.config.journal_dir)
    recorded.journal.append("login", {"user": "quelquun"})
    rc, out = _verify(recorded)
    assert rc == 1 and "journal" in out and "differs from the checkpoint" in out, out


def test_verify_witness_sees_a_whole_rollback(recorded: State, tmp_path: Path) -> None:
    """Rolling back state_dir AND checkpoint_dir passes the local check; the department's
    witnessed checkpoint (collected with `recorder checkpoint --latest`) does not."""
    import shutil

    conf = recorded.config
    assert cli("checkpoint", "--config", conf.source).returncode == 0
    saved = tmp_path / "saved"
    shutil.copytree(conf.state_dir, saved / "state")
    shutil.copytree(conf.checkpoint_dir, saved / "checkpoints")
    recorded.journal.append("export", {"user": "mdupont", "camera": "cam1"})
    assert cli("checkpoint", "--config", conf.source).returncode == 0
    latest = cli("checkpoint", "--config", conf.source, "--latest")
    assert latest.returncode == 0, latest.stderr
    witness = tmp_path / "department" / "evrange.json"
    witness.parent.mkdir()
    witness.write_text(latest.stdout)
    recorded.close()
    shutil.rmtree(conf.state_dir)
    shutil.copytree(saved / "state", conf.state_dir)
    rc, out = _verify(recorded)  # state rolled back alone: the local checkpoint sees it
    assert rc == 1 and "journal" in out and "rolled back" in out, out
    shutil.rmtree(conf.checkpoint_dir)
    shutil.copytree(saved / "checkpoints", conf.checkpoint_dir)
    assert _verify(recorded)[0] == 0  # locally consistent: the rollback is complete
    res = cli("verify", "--config", conf.source, "--witness", str(witness))
    assert res.returncode == 1, res.stdout
    assert "witness" in res.stderr and "journal" in res.stderr and "rolled back" in res.stderr
    res = cli("verify", "--config", conf.source, "--witness", str(tmp_path / "none.json"))
    assert res.returncode == 1 and "Traceback" not in res.stderr


def test_forged_checkpoint_is_refused(recorded: State) -> None:
    import json

    assert cli("checkpoint", "--config", recorded.config.source).returncode == 0
    path = recorded.config.checkpoint_dir / "latest.json"
    cp = json.loads(path.read_text())
    cp["journal"]["seq"] -= 1  # the head it names moves back: a cut would then pass
    path.write_text(json.dumps(cp))
    rc, out = _verify(recorded)
    assert rc == 1 and "checkpoint" in out and "signature" in out, out


def test_checkpoint_is_kept_apart_from_state_and_video(recorded: State) -> None:
    conf = recorded.config
    assert cli("checkpoint", "--config", conf.source).returncode == 0
    files = list(conf.checkpoint_dir.iterdir())
    assert files and not conf.checkpoint_dir.is_relative_to(conf.state_dir)
    assert not conf.checkpoint_dir.is_relative_to(conf.storage_root)


def test_verify_export_without_public_key_says_it_only_checked_self_consistency(
        recorded: State, tmp_path: Path) -> None:
    """Anyone can re-sign an altered export with a key of their own: without the NVR's public
    key (the department's copy), verify-export vouches only for self-consistency."""
    from recorder import keys

    segs = recorded.index.segments("cam1")
    out = tmp_path / "export"
    res = cli("export", "--config", recorded.config.source, "--camera", "cam1",
              "--from", timeutil.iso(segs[0].start), "--to", timeutil.iso(segs[1].end),
              "--out", str(out), "--user", "mdupont", "--wait", "0",
              "--password-file", "-", "--reason", "vérification", stdin=PASSWORD + "\n")
    assert res.returncode == 0, res.stderr
    fingerprint = keys.fingerprint(recorded.key.public_key())
    res = cli("verify-export", str(out))
    assert res.returncode == 0, res.stderr
    assert "self-consistency only" in res.stdout and fingerprint in res.stdout
    pub = tmp_path / "nvr.pub"
    pub.write_text(keys.public_pem(recorded.key.public_key()))
    res = cli("verify-export", str(out), "--public-key", str(pub))
    assert res.returncode == 0 and "self-consistency" not in res.stdout
    assert "the expected NVR key" in res.stdout


def test_beffroi_verifies_an_export_with_the_vaulted_nvr_key(moselle: Any, tmp_path: Path,
                                                             small_segment: Path) -> None:
    """The department checks an export against the key it provisioned, not the one the export
    carries: an export signed by another key is refused."""
    from validation.inventory_kit import run_beffroi

    from beffroi import vault
    from beffroi.sitenew import new_site

    made = new_site(moselle.root, "Kanfen", mayor="Marie Lefèvre")
    pem = vault.read_vault(made.vault_file)["nvr_signing_key"]
    exports = {}
    for name, key_pem in (("nvr", pem), ("forger", None)):
        base = tmp_path / name
        if key_pem is not None:
            (base / "keys").mkdir(parents=True, mode=0o700)
            key = base / "keys" / "signing.pem"
            key.write_text(key_pem)
            key.chmod(0o600)
        conf = config.load(make_config(base, [("cam1", "rtsp://127.0.0.1:9/cam1")]))
        st = open_state(conf)
        segs = seed_segments(st, "cam1", small_segment, [timeutil.now() - 60])
        st.close()
        out = base / "export"
        res = cli("export", "--config", conf.source, "--camera", "cam1", "--from",
                  timeutil.iso(segs[0].start), "--to", timeutil.iso(segs[0].end), "--out",
                  str(out), "--user", "mdupont", "--wait", "0", "--password-file", "-",
                  "--reason", "vérification", stdin=PASSWORD + "\n")
        assert res.returncode == 0, res.stderr
        exports[name] = out
    ok = run_beffroi(["verify-export", made.slug, str(exports["nvr"]), "-i", str(moselle.root)])
    assert ok.exit_code == 0, ok.output
    forged = run_beffroi(["verify-export", made.slug, str(exports["forger"]), "-i",
                          str(moselle.root)])
    assert forged.exit_code == 1 and "another key" in forged.output, forged.output


def test_what_the_departments_prometheus_keeps_of_a_checkpoint_is_a_witness(
        recorded: State, tmp_path: Path) -> None:
    """JRN-2 off the NVR: the recorder_checkpoint_info series the department scrapes carries
    the signed checkpoint; a saved scrape, or the Prometheus API's answer, is a witness that
    sees a rolled-back journal like the JSON of `recorder checkpoint --latest`."""
    import json
    import shutil

    from recorder import checkpoint
    from recorder.metrics import Metrics

    conf = recorded.config
    saved = tmp_path / "saved"
    shutil.copytree(conf.state_dir, saved / "state")
    recorded.journal.append("export", {"user": "mdupont", "camera": "cam1"})
    cp = checkpoint.write(recorded)
    metrics = Metrics(conf.storage_root)
    metrics.checkpoint_written(cp)
    scrape = tmp_path / "department" / "scrape.prom"
    scrape.parent.mkdir()
    scrape.write_bytes(metrics.render())
    label = next(line for line in scrape.read_text().splitlines()
                 if line.startswith("recorder_checkpoint_info{"))
    assert '"sig\\":' in label  # the signed checkpoint itself, escaped as a label value
    # the HTTP API's answer to /api/v1/query?query=recorder_checkpoint_info (its documented
    # shape), holding an older and the newer checkpoint of this NVR
    older = {**cp, "t": cp["t"] - 60}
    api = tmp_path / "department" / "query.json"
    api.write_text(json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"__name__": "recorder_checkpoint_info", "checkpoint": json.dumps(c)},
         "value": [c["t"], "1"]} for c in (older, cp)]}}))
    assert checkpoint.read(scrape) == cp and checkpoint.read(api) == cp
    assert cli("verify", "--config", conf.source, "--witness", str(scrape)).returncode == 0
    recorded.close()
    shutil.rmtree(conf.state_dir)
    shutil.copytree(saved / "state", conf.state_dir)
    shutil.rmtree(conf.checkpoint_dir)  # the rollback takes the local checkpoints too
    for witness in (scrape, api):
        res = cli("verify", "--config", conf.source, "--witness", str(witness))
        assert res.returncode == 1 and "witness" in res.stderr and "journal" in res.stderr, \
            res.stderr
    garbage = tmp_path / "department" / "other.prom"
    garbage.write_text("# HELP x y\nx 1\n")
    res = cli("verify", "--config", conf.source, "--witness", str(garbage))
    assert res.returncode == 1 and "not a recorder checkpoint" in res.stderr
    assert "Traceback" not in res.stderr
