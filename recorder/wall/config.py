"""The wall's configuration file (JSON, rendered by the crisis_cell role from the inventory):
typed with msgspec, then checked rule by rule; every finding names the key and the rule id."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import msgspec

from recorder.config import GENERIC_IDS, Finding

# ACC-3 (CSI L252-3): the only services outside the commune that may receive images.
LAWFUL_SERVICES = ("police_nationale", "gendarmerie", "douanes", "sdis", "police_municipale")
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}\Z")
_LISTEN = re.compile(r"^(?P<host>[0-9.]+|localhost):(?P<port>[0-9]{1,5})\Z")
_RELAY = re.compile(r"^rtsp://[0-9.]+:[0-9]{1,5}\Z")
_LOOPBACK = re.compile(r"^(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost)\Z")


class _Table(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Base of every table: keyword-only, immutable, unknown keys refused."""


class WallCamera(_Table, frozen=True):
    """One camera of a commune, as the wall shows it."""

    id: str
    location: str
    width: int
    height: int


class WallCommune(_Table, frozen=True):
    """A commune: its name and its NVR's live relay (through the WireGuard tunnel)."""

    slug: str
    name: str
    relay: str  # rtsp://NVR:PORT — the live relay, never the recorder API
    cameras: tuple[WallCamera, ...]


class Recipient(_Table, frozen=True):
    """One person of a lawful recipient service (ACC-1, ACC-3)."""

    id: str
    name: str
    service: str          # one of LAWFUL_SERVICES
    unit: str             # e.g. "SDIS 57 — CTA-CODIS"
    password_hash: str    # argon2id (ACC-5)
    cameras: tuple[str, ...]  # "*", "<slug>" (all its cameras) or "<slug>/<camera>"


class WallFile(_Table, frozen=True):
    """The whole file."""

    name: str
    listen: str
    token_key: Path       # Ed25519 PEM: signs the live-view tokens the NVRs' relays verify
    journal_key: Path     # Ed25519 PEM: signs the wall's own journal (logins, JRN-1)
    state_dir: Path
    communes: tuple[WallCommune, ...]
    recipients: tuple[Recipient, ...]
    tls_cert: Path | None = None
    tls_key: Path | None = None
    probe_status: Path | None = None  # the health probe's status.json (camera state)
    token_ttl_seconds: float = 30.0
    session_idle_seconds: float = 1800.0
    max_streams_per_session: int = 32


class WallConfigError(Exception):
    """The wall's configuration cannot be used; carries every finding."""

    def __init__(self, source: str, findings: list[Finding]) -> None:
        self.source = source
        self.findings = findings
        super().__init__("\n".join(f.render(source) for f in findings))


@dataclass(frozen=True)
class WallConfig:
    """The validated file plus lookups."""

    source: str
    file: WallFile

    def commune(self, slug: str) -> WallCommune | None:
        """The commune with this slug, or None."""
        return next((c for c in self.file.communes if c.slug == slug), None)

    def recipient(self, person: str) -> Recipient | None:
        """The recipient with this id, or None."""
        return next((r for r in self.file.recipients if r.id == person), None)

    @property
    def listen(self) -> tuple[str, int]:
        """(host, port) the wall listens on."""
        host, _, port = self.file.listen.rpartition(":")
        return host, int(port)


def cameras_of(person: Recipient, commune: WallCommune) -> list[str]:
    """ACC-3: the cameras of `commune` this person may watch live (declared list)."""
    every = [c.id for c in commune.cameras]
    if "*" in person.cameras or commune.slug in person.cameras:
        return every
    return [c for c in every if f"{commune.slug}/{c}" in person.cameras]


def check(f: WallFile) -> list[Finding]:
    """Every rule the file breaks (empty when usable)."""
    out: list[Finding] = []

    def err(key: str, rule: str, message: str) -> None:
        out.append(Finding(key, rule, message))

    m = _LISTEN.match(f.listen)
    if not m or not 0 < int(m["port"]) < 65536:
        err("listen", "CFG-2", f"must be IPV4:PORT, got {f.listen!r}")
    elif m["host"] == "0.0.0.0":
        err("listen", "NET-1", "listen on a named address, never every interface")
    elif (f.tls_cert is None or f.tls_key is None) and not _LOOPBACK.match(m["host"]):
        err("tls_cert", "NET-2", "the wall carries passwords and video: set tls_cert and "
            "tls_key (plain HTTP only on 127.0.0.1)")
    if (f.tls_cert is None) != (f.tls_key is None):
        err("tls_cert", "NET-2", "set both tls_cert and tls_key, or neither")
    if not 5 <= f.token_ttl_seconds <= 300:
        err("token_ttl_seconds", "ACC-3", "a live-view token lives 5..300 s")
    if not 60 <= f.session_idle_seconds <= 43200:
        err("session_idle_seconds", "ACC-5", "must be 60..43200 s")
    if not f.communes:
        err("communes", "CFG-1", "at least one commune")
    cams: dict[str, set[str]] = {}
    for i, c in enumerate(f.communes):
        if not _ID.match(c.slug) or c.slug in cams:
            err(f"communes[{i}].slug", "CFG-2", f"a unique lowercase slug, got {c.slug!r}")
        if not _RELAY.match(c.relay):
            err(f"communes[{i}].relay", "ACC-4", "the commune's live relay only: "
                f"rtsp://NVR:PORT, got {c.relay!r}")
        cams[c.slug] = {cam.id for cam in c.cameras}
        for j, cam in enumerate(c.cameras):
            if not _ID.match(cam.id):
                err(f"communes[{i}].cameras[{j}].id", "CFG-2", "a lowercase camera id")
    if not f.recipients:
        err("recipients", "ACC-3", "no recipient: the wall would serve nobody")
    seen: set[str] = set()
    for i, r in enumerate(f.recipients):
        p = f"recipients[{i}]"
        if not _ID.match(r.id) or r.id in seen:
            err(f"{p}.id", "ACC-1", f"a unique personal id, got {r.id!r}")
        seen.add(r.id)
        if r.id.split(".")[0] in GENERIC_IDS or r.id in GENERIC_IDS:
            err(f"{p}.id", "ACC-1", f"{r.id!r} is a generic account, not a person")
        if len(r.name.split()) < 2:
            err(f"{p}.name", "ACC-1", "each account maps to a named person: first name and "
                "surname")
        if r.service not in LAWFUL_SERVICES:
            err(f"{p}.service", "ACC-3", f"{r.service!r} is not a lawful recipient of images "
                f"(CSI L252-3: {', '.join(LAWFUL_SERVICES)})")
        if not r.password_hash.startswith("$argon2id$"):
            err(f"{p}.password_hash", "ACC-5", "must be an argon2id hash")
        if not r.cameras:
            err(f"{p}.cameras", "ACC-3", "list what this person may watch, or [\"*\"]")
        for entry in r.cameras:
            slug, sep, cam_id = entry.partition("/")
            if entry != "*" and (slug not in cams or (sep and cam_id not in cams[slug])):
                err(f"{p}.cameras", "CFG-2", f"unknown commune or camera {entry!r}")
    return out


def load(path: Path) -> WallConfig:
    """Read and validate the wall's file; WallConfigError naming every problem."""
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise WallConfigError(source, [Finding("-", "CFG-0", f"cannot read: {exc.strerror}")]
                              ) from None
    try:
        f = msgspec.json.decode(raw, type=WallFile, dec_hook=_dec_hook)
    except msgspec.ValidationError as exc:
        raise WallConfigError(source, [Finding(_where(str(exc)), "CFG-1", str(exc))]) from None
    except msgspec.DecodeError as exc:
        raise WallConfigError(source, [Finding("-", "CFG-0", f"not valid JSON: {exc}")]
                              ) from None
    findings = check(f)
    if findings:
        raise WallConfigError(source, findings)
    return WallConfig(source, f)


def _dec_hook(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise TypeError(f"Expected `{kind.__name__}`")


def _where(message: str) -> str:
    found = re.search(r"at `\$\.?([^`]*)`", message)
    return found.group(1) if found and found.group(1) else "-"
