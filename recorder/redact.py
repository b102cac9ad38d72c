"""EXP-5: zone blur of an export for an access request, as a separate, clearly marked,
re-encoded derivative. The evidence export itself is never modified.

Zones are fixed rectangles given by a person (no detection of faces or plates: CAM-6).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recorder import keys, timeutil
from recorder.config import User
from recorder.export import MANIFEST, verify_export
from recorder.state import State, sha256_file

NOTICE = "DERIVATIVE.json"


class RedactError(Exception):
    """The derivative could not be produced; the message says why."""


@dataclass(frozen=True)
class Zone:
    """A rectangle in pixels of the recorded picture."""

    x: int
    y: int
    w: int
    h: int

    @classmethod
    def parse(cls, text: str) -> Zone:
        """Parse `X,Y,W,H`."""
        try:
            x, y, w, h = (int(v) for v in text.split(","))
        except ValueError:
            raise RedactError(f"zone {text!r}: expected X,Y,W,H in pixels") from None
        if min(x, y) < 0 or min(w, h) < 4:
            raise RedactError(f"zone {text!r}: negative origin or smaller than 4x4")
        return cls(x, y, w, h)


def filter_graph(zones: list[Zone]) -> tuple[str, str]:
    """ffmpeg filter blurring each zone (crop -> boxblur -> overlay back in place), and the
    label of its output."""
    n = len(zones)
    parts = [f"[0:v]split={n + 1}[base]" + "".join(f"[c{i}]" for i in range(n))]
    prev = "base"
    for i, z in enumerate(zones):
        radius = max(2, min(z.w, z.h) // 4)
        parts.append(f"[c{i}]crop={z.w}:{z.h}:{z.x}:{z.y},boxblur={radius}:3[b{i}]")
        parts.append(f"[{prev}][b{i}]overlay={z.x}:{z.y}[v{i}]")
        prev = f"v{i}"
    return ";".join(parts), prev


def redact(state: State, export_dir: Path, zones: list[Zone], out: Path,
           user: User | None) -> dict[str, Any]:
    """Write blurred, re-encoded copies of every file of a verified export into `out`."""
    if user is None or user.role not in ("maire", "adjoint"):
        raise RedactError("[ACC-2] only the maire or an adjoint may produce an extract")
    if not zones:
        raise RedactError("give at least one --zone X,Y,W,H")
    ok, message = verify_export(export_dir, keys.public_pem(state.key.public_key()))
    if not ok:
        raise RedactError(f"source export does not verify: {message}")
    if out.exists():
        raise RedactError(f"{out}: already exists; choose a new directory")
    manifest = json.loads((export_dir / MANIFEST).read_bytes())
    graph, last = filter_graph(zones)
    out.mkdir(parents=True)
    files = []
    for item in manifest["files"]:
        src = export_dir / item["path"]
        dst = out / (item["path"].removesuffix(".ts") + ".blurred.mp4")
        dst.parent.mkdir(parents=True, exist_ok=True)
        res = subprocess.run(
            ["ffmpeg", "-v", "error", "-nostdin", "-i", str(src), "-filter_complex", graph,
             "-map", f"[{last}]", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "20",
             "-metadata", "comment=EXP-5 derivative: zones blurred, re-encoded, not evidence",
             str(dst)], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise RedactError(f"{src}: ffmpeg failed: {res.stderr.strip()[:300]}")
        files.append({"path": str(dst.relative_to(out)), "sha256": sha256_file(dst),
                      "source": item["path"], "source_sha256": item["sha256"]})
    notice: dict[str, Any] = {
        "kind": "EXP-5 derivative: third parties blurred for an access request",
        "warning": "RE-ENCODED DERIVATIVE, NOT EVIDENCE: the bit-exact export is the source",
        "source_manifest_sha256": hashlib.sha256((export_dir / MANIFEST).read_bytes())
        .hexdigest(),
        "zones": [z.__dict__ for z in zones],
        "files": files,
        "made_by": {"id": user.id, "name": user.name},
        "made_at": timeutil.iso(timeutil.now()),
    }
    body = json.dumps(notice, indent=2, ensure_ascii=False).encode()
    (out / NOTICE).write_bytes(body)
    (out / (NOTICE + ".sig")).write_text(keys.sign_b64(state.key, body) + "\n")
    state.journal.append("redaction", {"user": user.id, "source": str(export_dir),
                                       "out": str(out), "zones": len(zones),
                                       "files": len(files)})
    _register_copy(state, out, manifest, files, hashlib.sha256(body).hexdigest(), user)
    return notice


def _register_copy(state: State, out: Path, manifest: dict[str, Any],
                   files: list[dict[str, Any]], digest: str, user: User) -> None:
    """REG-1 / RET-1: the extract is a copy of recordings on the NVR, aged like its sources."""
    sources = {str(f["path"]): f for f in manifest["files"]}
    copies = [{"copy": f["path"], "source": f["source"], "camera": sources[f["source"]]["camera"],
               "start": timeutil.parse_iso(sources[f["source"]]["start"]),
               "end": timeutil.parse_iso(sources[f["source"]]["end"]), "sha256": f["sha256"]}
              for f in files]
    out = out.absolute()
    state.register.append("export_copy", {
        "path": str(out), "derivative": True, "manifest_sha256": digest, "by": user.id,
        "files": [{**c, "start": timeutil.iso(c["start"]), "end": timeutil.iso(c["end"])}
                  for c in copies]})
    state.index.add_export(str(out), timeutil.now(), copies, digest)
