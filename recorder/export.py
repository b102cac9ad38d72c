"""Evidence export (EXP-1/2/3): stored bytes copied as they are, a manifest signed with the
NVR's key, a journal entry; recording continues meanwhile. `verify_export` checks an export
anywhere, with nothing but the export directory (and optionally the expected public key).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

from recorder import __version__, access, keys, timeutil
from recorder.config import User
from recorder.state import State, sha256_file

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "beffroi-export/1"


class ExportError(Exception):
    """An export was refused or failed; the message says why (with the rule id)."""


def _wait_for_coverage(state: State, cameras: list[str], end: float, wait: float) -> None:
    # EXP-3: recording goes on; a range reaching into the segment being written waits for it
    # to close rather than copying a file that is still growing.
    # A camera that is not recording will not cover the range later: waiting stops once the
    # segment holding `end` should have closed (end + one segment + a margin).
    closes_by = end + state.config.segment_seconds + 5
    deadline = time.monotonic() + min(wait, max(0.0, closes_by - timeutil.now()))
    while time.monotonic() < deadline:
        covered = True
        for cam in cameras:
            last = state.index.last_segment(cam)
            if last is None or last.end < end:
                covered = False
        if covered:
            return
        time.sleep(0.25)


def export(state: State, cameras: list[str], start: float, end: float, out: Path,
           user: User | None, requisition: str | None = None, wait: float | None = None,
           via: str = "api") -> dict[str, Any]:
    """Export [start, end) of the cameras into the new directory `out`; return the manifest."""
    conf = state.config
    if user is None:
        raise ExportError("[EXP-2] the exporter must be a configured account (--user)")
    if end <= start:
        raise ExportError("the end of the range must be after its start")
    for cam in cameras:
        try:
            conf.camera(cam)
        except KeyError:
            raise ExportError(f"unknown camera {cam!r}") from None
        if not access.allowed(user, access.EXPORT, cam):
            state.journal.append("access_denied", {
                "user": user.id, "action": "export", "camera": cam, "via": via,
                "from": timeutil.iso(start), "to": timeutil.iso(end)})
            raise ExportError(access.refusal(user, access.EXPORT, cam))
    if out.exists():
        raise ExportError(f"{out}: already exists; choose a new directory")
    _wait_for_coverage(state, cameras, end,
                       wait if wait is not None else 2 * conf.segment_seconds + 5)
    out.mkdir(parents=True)
    files: list[dict[str, Any]] = []
    gaps: list[dict[str, Any]] = []
    for cam in cameras:
        (out / cam).mkdir()
        for seg in state.index.segments(cam, start, end):
            src = state.abspath(seg.path)
            dst = out / cam / Path(seg.path).name
            shutil.copyfile(src, dst)  # EXP-1: the stored bytes, no re-encoding
            digest = sha256_file(dst)
            if digest != seg.sha256:
                shutil.rmtree(out)
                raise ExportError(f"segment {seg.path}: stored file does not match its "
                                  "registered SHA-256 (altered); run `recorder verify`")
            files.append({"path": f"{cam}/{dst.name}", "camera": cam,
                          "start": timeutil.iso(seg.start), "end": timeutil.iso(seg.end),
                          "sha256": digest, "size": seg.size, "clock_valid": seg.valid,
                          "repaired": seg.repaired})
        gaps += [{"camera": g.camera, "start": timeutil.iso(g.start),
                  "end": timeutil.iso(g.end), "reason": g.reason}
                 for g in state.index.gaps(cam) if g.start < end and g.end > start]
    public = state.key.public_key()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "site": conf.site,
        "cameras": [{"id": c, "role": conf.camera(c).role, "location": conf.camera(c).location}
                    for c in cameras],
        "from": timeutil.iso(start), "to": timeutil.iso(end),
        "files": files,
        "gaps": gaps,
        "exporter": {"id": user.id, "name": user.name, "role": user.role},
        "export_time": timeutil.iso(timeutil.now()),
        "requisition": requisition,
        "recorder_version": __version__,
        "public_key_pem": keys.public_pem(public),
        "public_key_fingerprint": keys.fingerprint(public),
        "note": "files are the recorder's stored MPEG-TS segments, bit-exact (EXP-1); "
                "segments overlapping the range are exported whole",
    }
    body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    (out / MANIFEST).write_bytes(body)
    (out / SIGNATURE).write_text(keys.sign_b64(state.key, body) + "\n")
    (out / "nvr-public-key.pem").write_text(keys.public_pem(public))
    (out / "LISEZMOI.txt").write_text(
        "Export Beffroi — vérification : recorder verify-export <dossier> "
        "[--public-key clé.pem]\nLecture : les fichiers .ts (MPEG-TS, H.264) se lisent avec "
        "VLC ou ffplay, image par image, sans perte.\n")
    for path in (out / MANIFEST, out / SIGNATURE):
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
    digest = hashlib.sha256(body).hexdigest()
    # EXP-2 / JRN-1: who exported what, when, which cameras and time range.
    state.journal.append("export", {
        "user": user.id, "cameras": cameras, "from": timeutil.iso(start),
        "to": timeutil.iso(end), "files": len(files), "out": str(out),
        "manifest_sha256": digest, "requisition": requisition, "via": via})
    if requisition:
        # REG-1: date of transmission to the parquet, with the requisition reference.
        state.register.append("transmission", {
            "requisition": requisition, "cameras": cameras, "from": timeutil.iso(start),
            "to": timeutil.iso(end), "manifest_sha256": digest, "by": user.id})
    return manifest


def verify_export(directory: Path, public_pem: str | None = None) -> tuple[bool, str]:
    """Check an export: signature of the manifest, then every file's size and SHA-256.

    Returns (ok, message); the message names the first broken item.
    """
    try:
        body = (directory / MANIFEST).read_bytes()
        signature = (directory / SIGNATURE).read_text().strip()
        manifest = json.loads(body)
        embedded = keys.load_public_pem(manifest["public_key_pem"])
    except FileNotFoundError as exc:
        return False, f"{directory}: missing {Path(str(exc.filename)).name}"
    except (ValueError, KeyError, TypeError) as exc:
        return False, f"{directory}/{MANIFEST}: unreadable manifest ({exc})"
    key = embedded
    if public_pem is not None:
        try:
            key = keys.load_public_pem(public_pem)
        except ValueError as exc:
            return False, f"--public-key: {exc}"
        if keys.fingerprint(key) != keys.fingerprint(embedded):
            return False, (f"{directory}/{MANIFEST}: signed with another key "
                           f"({keys.fingerprint(embedded)}) than the expected one "
                           f"({keys.fingerprint(key)})")
    if not keys.verify_b64(key, body, signature):
        return False, f"{directory}/{MANIFEST}: signature does not match (manifest altered)"
    listed = set()
    for item in manifest.get("files", []):
        rel = str(item["path"])
        listed.add(rel)
        path = directory / rel
        if not path.is_file():
            return False, f"{directory}/{rel}: listed in the manifest but missing"
        if path.stat().st_size != int(item["size"]) or sha256_file(path) != item["sha256"]:
            return False, f"{directory}/{rel}: SHA-256 differs from the manifest (altered)"
    extra = sorted(str(p.relative_to(directory)) for p in directory.rglob("*.ts")
                   if str(p.relative_to(directory)) not in listed)
    if extra:
        return False, f"{directory}/{extra[0]}: video file not listed in the manifest"
    said = (f"{directory}: OK, {len(listed)} files, signed by {keys.fingerprint(key)}, "
            f"exported by {manifest['exporter']['id']} at {manifest['export_time']}")
    if public_pem is None:
        # anyone can re-sign an altered copy with a key of their own and embed that key
        return True, (f"{said}; self-consistency only: checked against the key the export "
                      "carries, not the NVR's; pass --public-key with the department's copy "
                      "of this NVR's public key (beffroi keeps it per site)")
    return True, f"{said}; signed by the expected NVR key"
