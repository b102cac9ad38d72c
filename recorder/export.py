"""Evidence export (EXP-1/2/3): stored bytes copied as they are, a manifest signed with the
NVR's key, a journal entry; recording continues meanwhile. `verify_export` checks an export
anywhere, with nothing but the export directory (and optionally the expected public key).
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recorder import __version__, access, keys, timeutil
from recorder.config import User
from recorder.index import Segment
from recorder.state import State, sha256_file

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
FORMAT = "beffroi-export/1"
PLAYER = "verification.html"  # opened from the bundle: checks signature and hashes (WebCrypto)
_STATIC = Path(__file__).resolve().parent / "web" / "static"
PLAYER_PAGE = _STATIC / "bundle_player.html"
# the player's TS transmuxer (npm hls.js, Apache-2.0), shipped with its licence in every bundle
PLAYER_ASSETS = ("hls.light.min.js", "hls.js-LICENSE.txt")


class ExportError(Exception):
    """An export was refused or failed; the message says why (with the rule id)."""


MAX_TEXT = 500  # characters of a reason or requisition reference


@dataclass(frozen=True)
class Auth:
    """How the exporter was authenticated (EXP-2/JRN-1): their own password (CLI), the API's
    login, or a local administrator (root) acting for the account under a declared OS name."""

    method: str  # password | api | local-admin
    os_user: str | None = None
    os_uid: int | None = None

    def describe(self) -> str:
        """One line for the manifest."""
        if self.method == "local-admin":
            return f"local-admin {self.os_user} (uid {self.os_uid})"
        return self.method

    def journal(self) -> dict[str, Any]:
        """Fields of the journal entry."""
        out: dict[str, Any] = {"auth": self.method}
        if self.method == "local-admin":
            out.update(os_user=self.os_user, os_uid=self.os_uid)
        return out


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ExportError(f"[EXP-2] {what} must be text")
    text = value.strip()
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise ExportError(f"[EXP-2] {what}: control or formatting characters (line breaks, "
                          "escapes, bidi overrides) are not allowed; write it on one line")
    if len(text) > MAX_TEXT:
        raise ExportError(f"[EXP-2] {what}: at most {MAX_TEXT} characters")
    return text or None


def check_reason(reason: Any, requisition: Any) -> tuple[str | None, str | None]:
    """The export's reason and requisition reference, cleaned; at least one is required."""
    why, ref = _text(reason, "--reason"), _text(requisition, "--requisition")
    if why is None and ref is None:
        raise ExportError("[EXP-2] an export needs a reason: a judicial requisition reference "
                          "(--requisition, API \"requisition\") or a written reason (--reason, "
                          "API \"reason\")")
    return why, ref


def _check_range(state: State, start: float, end: float) -> None:
    # A future range cannot be recorded yet: refuse now rather than wait and sign nothing.
    now, seg = timeutil.now(), state.config.segment_seconds
    if start >= now:
        raise ExportError(f"the range starts in the future ({timeutil.iso(start)}; now "
                          f"{timeutil.iso(now)}): only recorded video can be exported")
    if end > now + seg:
        raise ExportError(f"the range ends in the future ({timeutil.iso(end)}; now "
                          f"{timeutil.iso(now)}): end it at most one segment ({seg} s) ahead")


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


def _pieces(segs: list[Segment]) -> list[list[Segment]]:
    """Contiguous stretches of one ffmpeg run: timestamps continue inside, restart between."""
    out: list[list[Segment]] = []
    for seg in segs:
        if out and out[-1][-1].run == seg.run and abs(seg.start - out[-1][-1].end) < 0.5:
            out[-1].append(seg)
        else:
            out.append([seg])
    return out


def _play(cam: str, segs: list[Segment], start: float, end: float) -> list[dict[str, Any]]:
    """ffplay command lines playing exactly the asked range of each stretch (EXP-4)."""
    plays = []
    for piece in _pieces(segs):
        lo, hi = max(start, piece[0].start), min(end, piece[-1].end)
        offset, seconds = round(lo - piece[0].start, 3), round(max(0.0, hi - lo), 3)
        source = "concat:" + "|".join(f"{cam}/{Path(s.path).name}" for s in piece)
        plays.append({
            "camera": cam, "from": timeutil.iso(lo), "to": timeutil.iso(hi),
            "offset_seconds": offset, "seconds": seconds,
            "ffplay": ["ffplay", "-ss", f"{offset:.3f}", "-t", f"{seconds:.3f}", "-i", source,
                       "-autoexit", "-window_title", f"{cam} {timeutil.iso(lo)}"]})
    return plays


def _m3u(cam: str, segs: list[Segment], start: float, end: float) -> str:
    """VLC playlist of a camera's files starting and stopping at the asked range."""
    lines = ["#EXTM3U"]
    for i, seg in enumerate(segs):
        lines.append(f"#EXTINF:{round(seg.duration)},{cam} {timeutil.iso(seg.start)}")
        if i == 0 and start > seg.start:
            lines.append(f"#EXTVLCOPT:start-time={start - seg.start:.3f}")
        if i == len(segs) - 1 and end < seg.end:
            lines.append(f"#EXTVLCOPT:stop-time={end - seg.start:.3f}")
        lines.append(f"{cam}/{Path(seg.path).name}")
    return "\n".join(lines) + "\n"


def _readme(start: float, end: float, plays: list[dict[str, Any]]) -> str:
    lines = [
        "Export Beffroi — vérification : recorder verify-export <dossier> "
        "[--public-key clé.pem]",
        f"Plage demandée : {timeutil.iso(start)} .. {timeutil.iso(end)} (UTC).",
        "Les fichiers .ts sont les segments enregistrés, entiers et identiques bit à bit "
        "(EXP-1) :",
        "ils peuvent commencer avant et finir après la plage demandée (manifest.json : "
        "\"asked\" et \"covered\").",
        f"Vérification dans un navigateur, sans réseau : ouvrir {PLAYER} et choisir ce dossier.",
        "Lecture de la seule plage demandée, depuis ce dossier :",
        "  VLC : ouvrir <caméra>.m3u (début et fin de la plage réglés) ;",
        "  ffplay (image par image : touche s ; pause : espace) :",
    ]
    lines += [f"    {shlex.join(p['ffplay'])}" for p in plays]
    return "\n".join(lines) + "\n"


def export(state: State, cameras: list[str], start: float, end: float, out: Path,
           user: User | None, requisition: str | None = None, wait: float | None = None,
           via: str = "api", reason: str | None = None,
           auth: Auth | None = None) -> dict[str, Any]:
    """Export [start, end) of the cameras into the new directory `out`; return the manifest."""
    conf = state.config
    auth = auth or Auth("api")
    if user is None:
        raise ExportError("[EXP-2] the exporter must be a configured account (--user)")
    reason, requisition = check_reason(reason, requisition)
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
    _check_range(state, start, end)
    _wait_for_coverage(state, cameras, end,
                       wait if wait is not None else 2 * conf.segment_seconds + 5)
    by_cam = {cam: state.index.segments(cam, start, end) for cam in cameras}
    if not any(by_cam.values()):
        raise ExportError(f"no recording of {', '.join(cameras)} between {timeutil.iso(start)} "
                          f"and {timeutil.iso(end)} (gaps or purged): nothing to export")
    out = out.absolute()
    out.mkdir(parents=True)
    files: list[dict[str, Any]] = []
    copies: list[dict[str, Any]] = []
    gaps: list[dict[str, Any]] = []
    covered: list[dict[str, Any]] = []
    plays: list[dict[str, Any]] = []
    bundle: dict[str, str] = {}
    for cam in cameras:
        (out / cam).mkdir()
        segs = by_cam[cam]
        for seg in segs:
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
            copies.append({"copy": f"{cam}/{dst.name}", "source": seg.path, "camera": cam,
                           "start": seg.start, "end": seg.end, "sha256": digest})
        gaps += [{"camera": g.camera, "start": timeutil.iso(g.start),
                  "end": timeutil.iso(g.end), "reason": g.reason}
                 for g in state.index.gaps(cam) if g.start < end and g.end > start]
        if segs:
            lo, hi = segs[0].start, segs[-1].end
            covered.append({"camera": cam, "from": timeutil.iso(lo), "to": timeutil.iso(hi),
                            "seconds": round(hi - lo, 3),
                            "overshoot_seconds": round(max(0.0, start - lo)
                                                       + max(0.0, hi - end), 3)})
            plays += _play(cam, segs, start, end)
            bundle[f"{cam}.m3u"] = _m3u(cam, segs, start, end)
    bundle["LISEZMOI.txt"] = _readme(start, end, plays)
    bundle[PLAYER] = PLAYER_PAGE.read_text(encoding="utf-8")
    for asset in PLAYER_ASSETS:
        bundle[asset] = (_STATIC / asset).read_text(encoding="utf-8")
    for name, text in bundle.items():
        (out / name).write_text(text, encoding="utf-8")
    public = state.key.public_key()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "site": conf.site,
        "cameras": [{"id": c, "role": conf.camera(c).role, "location": conf.camera(c).location}
                    for c in cameras],
        "from": timeutil.iso(start), "to": timeutil.iso(end),
        "asked": {"from": timeutil.iso(start), "to": timeutil.iso(end),
                  "seconds": round(end - start, 3)},
        "covered": covered,
        "play": plays,
        "files": files,
        "bundle": [{"path": name, "sha256": hashlib.sha256(text.encode()).hexdigest()}
                   for name, text in bundle.items()],
        "gaps": gaps,
        "exporter": {"id": user.id, "name": user.name, "role": user.role,
                     "authenticated": auth.describe()},
        "export_time": timeutil.iso(timeutil.now()),
        "requisition": requisition,
        "reason": reason,
        "recorder_version": __version__,
        "public_key_pem": keys.public_pem(public),
        "public_key_fingerprint": keys.fingerprint(public),
        "note": "files are the recorder's stored MPEG-TS segments, bit-exact (EXP-1); "
                "segments overlapping the range are exported whole: 'covered' may exceed "
                "'asked'; 'play' and the .m3u playlists play the asked range only",
    }
    body = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    (out / MANIFEST).write_bytes(body)
    (out / SIGNATURE).write_text(keys.sign_b64(state.key, body) + "\n")
    (out / "nvr-public-key.pem").write_text(keys.public_pem(public))
    for path in (out / MANIFEST, out / SIGNATURE):
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
    digest = hashlib.sha256(body).hexdigest()
    # EXP-2 / JRN-1: who exported what, when, which cameras and time range, and why.
    state.journal.append("export", {
        "user": user.id, "cameras": cameras, "from": timeutil.iso(start),
        "to": timeutil.iso(end), "files": len(files), "out": str(out),
        "manifest_sha256": digest, "requisition": requisition, "reason": reason, "via": via,
        **auth.journal()})
    # REG-1 / RET-1: the copy on the NVR is registered and aged by the purge like its sources.
    state.register.append("export_copy", {
        "path": str(out), "cameras": cameras, "from": timeutil.iso(start),
        "to": timeutil.iso(end), "manifest_sha256": digest, "by": user.id,
        "files": [{"camera": c["camera"], "source": c["source"], "sha256": c["sha256"],
                   "start": timeutil.iso(c["start"]), "end": timeutil.iso(c["end"])}
                  for c in copies]})
    state.index.add_export(str(out), timeutil.now(), copies, digest)
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
    for item in manifest.get("bundle", []):
        rel = str(item["path"])
        path = directory / rel
        if not path.is_file() or sha256_file(path) != item["sha256"]:
            return False, f"{directory}/{rel}: player file differs from the manifest (altered)"
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
