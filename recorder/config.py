"""The recorder's configuration file (TOML): schema, legal rules, loading.

The control plane renders this file from the site model; `recorder check-config FILE` is the
Ansible role's `validate:` step, so every rule names the key and the rule id it enforces.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROLES = ("maire", "adjoint", "live", "admin")
CAMERA_ROLES = ("narrow", "context")
SYNC_CHECKS = ("chrony", "always", "never")
# ACC-1: shared/generic account names that do not designate a person.
GENERIC_IDS = frozenset(
    {
        "admin", "administrator", "administrateur", "root", "operator", "operateur", "guest",
        "invite", "user", "utilisateur", "test", "video", "mairie", "securite", "police",
        "gendarmerie", "sdis", "viewer", "default", "demo", "shared", "commun",
    }
)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_LISTEN = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(?P<port>\d{1,5})$")


@dataclass(frozen=True)
class Finding:
    """One problem in a config file: the key path, the rule id and what to do."""

    key: str
    rule: str
    message: str

    def render(self, source: str) -> str:
        """Human-readable line naming file, key and rule."""
        return f"{source}: {self.key}: [{self.rule}] {self.message}"


class ConfigError(Exception):
    """The config file cannot be used; carries every finding."""

    def __init__(self, source: str, findings: list[Finding]) -> None:
        self.source = source
        self.findings = findings
        super().__init__("\n".join(f.render(source) for f in findings))


@dataclass(frozen=True)
class Camera:
    """One recorded camera."""

    id: str
    role: str
    rtsp_url: str
    location: str
    expected_fps: float
    width: int
    height: int


@dataclass(frozen=True)
class User:
    """One individually designated person (ACC-1) and what they may reach."""

    id: str
    name: str
    role: str
    password_hash: str
    cameras: tuple[str, ...]

    def may_see(self, camera_id: str) -> bool:
        """True when the user's camera list covers this camera."""
        return "*" in self.cameras or camera_id in self.cameras


# --- API hardening (issue 10 §4): [api] limits and lockout, kept apart for the schema port ---
@dataclass(frozen=True)
class ApiLimits:
    """How much the API lets one client or a crowd cost (connections, hashing, lockout)."""

    max_connections: int = 64            # beyond: 503 at once, no thread
    max_connections_per_address: int = 16  # one host cannot take every slot
    request_timeout_seconds: float = 10.0  # whole request (line, headers, body) must arrive
    hash_concurrency: int = 2            # argon2 verifications at once (64 MiB each)
    hash_wait_seconds: float = 0.5       # wait for a hashing slot, then 503
    lockout_threshold: int = 5           # failures of one account name before it is locked
    address_lockout_threshold: int = 20  # failures from one address before it is locked
    lockout_base_seconds: float = 30.0   # first lock; doubles with each further failure
    lockout_max_seconds: float = 900.0   # longest lock; failures are forgotten after it


_LIMIT_RANGES: dict[str, tuple[float, float]] = {
    "max_connections": (2, 4096), "max_connections_per_address": (1, 4096),
    "request_timeout_seconds": (0.5, 300),
    "hash_concurrency": (1, 64), "hash_wait_seconds": (0, 30), "lockout_threshold": (1, 1000),
    "address_lockout_threshold": (1, 100000), "lockout_base_seconds": (0.1, 86400),
    "lockout_max_seconds": (0.1, 86400),
}
_LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|::1|localhost)$")


def _api_limits(r: _Reader, api: dict[str, Any]) -> ApiLimits:
    """Read the [api] hardening keys (all optional, with safe defaults)."""
    values: dict[str, Any] = {}
    for key, (low, high) in _LIMIT_RANGES.items():
        default = getattr(ApiLimits, key)
        value = r.get(api, key, "api", type(default), default, required=False)
        if not low <= value <= high:
            r.err(f"api.{key}", "CFG-2", f"must be {low:g}..{high:g}, got {value}")
        values[key] = value
    return ApiLimits(**values)


def _check_transport(r: _Reader, host: str, tls: bool) -> None:
    """NET-2: Basic credentials and video never cross a network in clear."""
    if not tls and not _LOOPBACK.match(host):
        r.err("api.tls_cert", "NET-2",
              f"the API listens on {host}, not loopback: set tls_cert and tls_key "
              "(plain HTTP is allowed on 127.0.0.1 only)")
# --- end of API hardening keys ---------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The validated configuration."""

    source: str
    site: str
    storage_root: Path
    state_dir: Path
    retention_days: int
    journal_retention_days: int
    min_free_percent: float
    segment_seconds: int
    signing_key: Path
    segment_format: str
    reconnect_initial_seconds: float
    reconnect_max_seconds: float
    rtsp_timeout_seconds: float
    purge_interval_seconds: float
    export_dir: Path
    api_listen: tuple[str, int]
    tls_cert: Path | None
    tls_key: Path | None
    relay_listen: tuple[str, int]
    sync_check: str
    cameras: tuple[Camera, ...]
    users: tuple[User, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    api_limits: ApiLimits = field(default_factory=lambda: ApiLimits())

    def camera(self, camera_id: str) -> Camera:
        """The camera with this id; KeyError if unknown."""
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise KeyError(camera_id)

    def user(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        return next((u for u in self.users if u.id == user_id), None)

    @property
    def index_path(self) -> Path:
        """SQLite segment index (state, apart from video: JRN-2)."""
        return self.state_dir / "index.sqlite3"

    @property
    def register_dir(self) -> Path:
        """REG-1 register (hash-chained)."""
        return self.state_dir / "register"

    @property
    def journal_dir(self) -> Path:
        """JRN-1 journal (hash-chained)."""
        return self.state_dir / "journal"


_KNOWN: dict[str, set[str]] = {
    "recorder": {
        "site", "storage_root", "state_dir", "retention_days", "journal_retention_days",
        "min_free_percent", "segment_seconds", "signing_key", "segment_format",
        "reconnect_initial_seconds", "reconnect_max_seconds", "rtsp_timeout_seconds",
        "purge_interval_seconds", "export_dir",
    },
    "api": {"listen", "tls_cert", "tls_key", *_LIMIT_RANGES},
    "relay": {"listen"},
    "time": {"sync_check"},
    "cameras": {"id", "role", "rtsp_url", "location", "expected_fps", "width", "height"},
    "users": {"id", "name", "role", "password_hash", "cameras"},
}


class _Reader:
    """Collects findings while reading typed values out of the TOML tree."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def err(self, key: str, rule: str, message: str) -> None:
        self.findings.append(Finding(key, rule, message))

    def get(self, table: dict[str, Any], key: str, path: str, kind: type, default: Any = None,
            required: bool = True) -> Any:
        if key not in table:
            if required and default is None:
                self.err(f"{path}.{key}", "CFG-1", "missing required key")
            return default
        value = table[key]
        ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if not ok:
            self.err(f"{path}.{key}", "CFG-1", f"must be a {kind.__name__}, got {value!r}")
            return default
        return value

    def unknown(self, table: dict[str, Any], section: str, path: str) -> None:
        for key in sorted(set(table) - _KNOWN[section]):
            self.err(f"{path}.{key}", "CFG-1", "unknown key (typo?); remove it")

    def listen(self, value: str | None, key: str, default: tuple[str, int]) -> tuple[str, int]:
        if value is None:
            return default
        m = _LISTEN.match(value)
        if not m or not 0 < int(m["port"]) < 65536:
            self.err(key, "CFG-2", f"must be HOST:PORT, got {value!r}")
            return default
        host = m["host"].strip("[]")
        if host in ("0.0.0.0", "::"):
            self.err(key, "NET-1", "listen on a named address, never every interface")
        return host, int(m["port"])


def parse(data: dict[str, Any], source: str = "<config>") -> Config:
    """Validate a parsed TOML document and build the Config; raise ConfigError listing findings."""
    r = _Reader()
    for section in sorted(set(data) - set(_KNOWN)):
        r.err(section, "CFG-1", "unknown section (typo?); remove it")
    rec = data.get("recorder")
    if not isinstance(rec, dict):
        r.err("recorder", "CFG-1", "missing [recorder] table")
        rec = {}
    r.unknown(rec, "recorder", "recorder")
    site = r.get(rec, "site", "recorder", str, "")
    if site and not _SLUG.match(site):
        r.err("recorder.site", "CFG-2", "must be a lowercase slug like 'evrange'")
    storage_root = Path(r.get(rec, "storage_root", "recorder", str, ""))
    state_dir = Path(r.get(rec, "state_dir", "recorder", str, ""))
    for key, p in (("storage_root", storage_root), ("state_dir", state_dir)):
        if str(p) and str(p) != "." and not p.is_absolute():
            r.err(f"recorder.{key}", "CFG-2", f"must be an absolute path, got {str(p)!r}")
    both_set = str(storage_root) not in ("", ".") and str(state_dir) not in ("", ".")
    if both_set and (state_dir.is_relative_to(storage_root)
                     or storage_root.is_relative_to(state_dir)):
        r.err("recorder.state_dir", "JRN-2",
                  "register and journal must be stored apart from the video: use a state_dir "
                  "outside storage_root (and vice versa)")
    retention = r.get(rec, "retention_days", "recorder", int, 0)
    if "retention_days" in rec and not 1 <= retention <= 30:
        r.err("recorder.retention_days", "RET-1",
              f"must be 1..30 days (CSI L252-5: at most one month), got {retention}")
    jret = r.get(rec, "journal_retention_days", "recorder", int, 365, required=False)
    if not 180 <= jret <= 366:
        r.err("recorder.journal_retention_days", "JRN-2",
              f"the journal is kept 6 to 12 months (180..366 days), got {jret}")
    min_free = r.get(rec, "min_free_percent", "recorder", float, 10.0, required=False)
    if not 1 <= min_free <= 50:
        r.err("recorder.min_free_percent", "CFG-2", f"must be 1..50 (%), got {min_free}")
    seg = r.get(rec, "segment_seconds", "recorder", int, 60, required=False)
    if not 1 <= seg <= 3600:
        r.err("recorder.segment_seconds", "CFG-2", f"must be 1..3600, got {seg}")
    key_path = Path(r.get(rec, "signing_key", "recorder", str, ""))
    if str(key_path) not in ("", ".") and not key_path.is_absolute():
        r.err("recorder.signing_key", "CFG-2", "must be an absolute path to an Ed25519 PEM key")
    seg_format = r.get(rec, "segment_format", "recorder", str, "mpegts", required=False)
    if seg_format != "mpegts":
        r.err("recorder.segment_format", "CFG-2",
              "only 'mpegts' is supported (crash-tolerant; see docs/recorder.md)")
    rc_init = r.get(rec, "reconnect_initial_seconds", "recorder", float, 0.25, required=False)
    rc_max = r.get(rec, "reconnect_max_seconds", "recorder", float, 5.0, required=False)
    if not 0 < rc_init <= rc_max <= 300:
        r.err("recorder.reconnect_max_seconds", "CFG-2",
              "need 0 < reconnect_initial_seconds <= reconnect_max_seconds <= 300")
    rtsp_to = r.get(rec, "rtsp_timeout_seconds", "recorder", float, 3.0, required=False)
    if not 0.5 <= rtsp_to <= 60:
        r.err("recorder.rtsp_timeout_seconds", "CFG-2", "must be 0.5..60 (ffmpeg -timeout)")
    purge_every = r.get(rec, "purge_interval_seconds", "recorder", float, 30.0, required=False)
    if not 1 <= purge_every <= 3600:
        r.err("recorder.purge_interval_seconds", "CFG-2", "must be 1..3600")
    export_dir = Path(r.get(rec, "export_dir", "recorder", str, str(state_dir / "exports"),
                            required=False))

    api = data.get("api", {})
    r.unknown(api, "api", "api")
    api_listen = r.listen(r.get(api, "listen", "api", str, "127.0.0.1:8443", required=False),
                          "api.listen", ("127.0.0.1", 8443))
    cert = r.get(api, "tls_cert", "api", str, None, required=False)
    tkey = r.get(api, "tls_key", "api", str, None, required=False)
    if (cert is None) != (tkey is None):
        r.err("api.tls_cert", "NET-2", "set both tls_cert and tls_key, or neither")
    else:
        _check_transport(r, api_listen[0], cert is not None)
    api_limits = _api_limits(r, api)
    relay = data.get("relay", {})
    r.unknown(relay, "relay", "relay")
    relay_listen = r.listen(r.get(relay, "listen", "relay", str, "127.0.0.1:8554",
                                  required=False), "relay.listen", ("127.0.0.1", 8554))
    tsec = data.get("time", {})
    r.unknown(tsec, "time", "time")
    sync = r.get(tsec, "sync_check", "time", str, "chrony", required=False)
    if sync not in SYNC_CHECKS:
        r.err("time.sync_check", "TIME-1", f"must be one of {', '.join(SYNC_CHECKS)}")

    cameras = _cameras(r, data.get("cameras", []))
    users = _users(r, data.get("users", []), {c.id for c in cameras})
    if r.findings:
        raise ConfigError(source, r.findings)
    return Config(
        source=source, site=site, storage_root=storage_root, state_dir=state_dir,
        retention_days=retention, journal_retention_days=jret, min_free_percent=min_free,
        segment_seconds=seg, signing_key=key_path, segment_format=seg_format,
        reconnect_initial_seconds=rc_init, reconnect_max_seconds=rc_max,
        rtsp_timeout_seconds=rtsp_to, purge_interval_seconds=purge_every, export_dir=export_dir,
        api_listen=api_listen, tls_cert=Path(cert) if cert else None,
        tls_key=Path(tkey) if tkey else None, relay_listen=relay_listen, sync_check=sync,
        cameras=tuple(cameras), users=tuple(users), raw=data, api_limits=api_limits,
    )


def _cameras(r: _Reader, items: Any) -> list[Camera]:
    if not isinstance(items, list) or not items:
        r.err("cameras", "CFG-1", "at least one [[cameras]] entry is required")
        return []
    out: list[Camera] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        p = f"cameras[{i}]"
        if not isinstance(item, dict):
            r.err(p, "CFG-1", "must be a table")
            continue
        r.unknown(item, "cameras", p)
        cid = r.get(item, "id", p, str, "")
        if cid and not _SLUG.match(cid):
            r.err(f"{p}.id", "CFG-2", "must be a lowercase slug (used in file names)")
        if cid in seen:
            r.err(f"{p}.id", "CFG-2", f"duplicate camera id {cid!r}")
        seen.add(cid)
        role = r.get(item, "role", p, str, "")
        if role and role not in CAMERA_ROLES:
            r.err(f"{p}.role", "CFG-2", f"must be one of {', '.join(CAMERA_ROLES)}")
        url = r.get(item, "rtsp_url", p, str, "")
        if url and not url.startswith(("rtsp://", "rtsps://")):
            r.err(f"{p}.rtsp_url", "CFG-2", "must be an rtsp:// or rtsps:// URL")
        location = r.get(item, "location", p, str, "")
        if "location" in item and not location.strip():
            r.err(f"{p}.location", "CAM-4", "the camera location must be retrievable: set it")
        fps = r.get(item, "expected_fps", p, float, 0.0)
        width = r.get(item, "width", p, int, 0)
        height = r.get(item, "height", p, int, 0)
        if role == "narrow":
            if fps and fps < 12:
                r.err(f"{p}.expected_fps", "CAM-3", f"a narrow-field camera records >= 12 fps, "
                      f"got {fps:g}")
            if width and height and (width < 704 or height < 576):
                r.err(f"{p}.width", "CAM-1", f"a narrow-field stream is >= 704x576, got "
                      f"{width}x{height}")
        elif role == "context":
            if fps and fps < 6:
                r.err(f"{p}.expected_fps", "CAM-3", f"a recorded stream is >= 6 fps, got {fps:g}")
            if width and height and (width < 352 or height < 288):
                r.err(f"{p}.width", "CAM-2", f"a recorded stream is >= 352x288, got "
                      f"{width}x{height}")
        out.append(Camera(cid, role, url, location, fps, width, height))
    return out


def _users(r: _Reader, items: Any, camera_ids: set[str]) -> list[User]:
    if not isinstance(items, list) or not items:
        r.err("users", "ACC-1", "at least one [[users]] entry (a named person) is required")
        return []
    out: list[User] = []
    ids: set[str] = set()
    names: dict[str, str] = {}
    for i, item in enumerate(items):
        p = f"users[{i}]"
        if not isinstance(item, dict):
            r.err(p, "CFG-1", "must be a table")
            continue
        r.unknown(item, "users", p)
        uid = r.get(item, "id", p, str, "")
        name = r.get(item, "name", p, str, "")
        role = r.get(item, "role", p, str, "")
        phash = r.get(item, "password_hash", p, str, "")
        cams = r.get(item, "cameras", p, list, [], required=False)
        if uid and not _SLUG.match(uid):
            r.err(f"{p}.id", "CFG-2", "must be a lowercase slug")
        if uid in ids:
            r.err(f"{p}.id", "ACC-1", f"duplicate account id {uid!r}")
        ids.add(uid)
        if "name" in item and len(name.split()) < 2:
            r.err(f"{p}.name", "ACC-1",
                  "each account maps to a named person: give first name and surname")
        key = " ".join(name.lower().split())
        if key and key in names:
            r.err(f"{p}.name", "ACC-1",
                  f"one account per person: {name!r} already has account {names[key]!r}")
        names.setdefault(key, uid)
        if role and role not in ROLES:
            r.err(f"{p}.role", "ACC-2", f"must be one of {', '.join(ROLES)}")
        if uid.lower() in GENERIC_IDS and role != "admin":
            r.err(f"{p}.id", "ACC-1", f"{uid!r} is a generic/shared account name; use a "
                  "personal id (e.g. jdupont)")
        if phash and not phash.startswith("$argon2id$"):
            r.err(f"{p}.password_hash", "ACC-5",
                  "must be an argon2id hash: produce it with `recorder hash-password`")
        if not all(isinstance(c, str) for c in cams):
            r.err(f"{p}.cameras", "CFG-1", "must be a list of camera ids or [\"*\"]")
            cams = []
        for c in cams:
            if c != "*" and c not in camera_ids:
                r.err(f"{p}.cameras", "CFG-2", f"unknown camera id {c!r}")
        if role == "admin" and cams:
            r.err(f"{p}.cameras", "ACC-4",
                  "the admin role configures the recorder and sees no video: cameras = []")
        if role in ("maire", "adjoint", "live") and "cameras" in item and not cams:
            r.err(f"{p}.cameras", "ACC-2", "list the cameras this person may see, or [\"*\"]")
        out.append(User(uid, name, role, phash, tuple(cams) if role != "admin" else ()))
    return out


def load(path: str | Path) -> Config:
    """Read and validate a TOML config file; raise ConfigError with readable findings."""
    source = str(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(source, [Finding("-", "CFG-0", "file not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [Finding("-", "CFG-0", f"not valid TOML: {exc}")]) from None
    except OSError as exc:
        raise ConfigError(source, [Finding("-", "CFG-0", f"cannot read: {exc.strerror}")]) from None
    return parse(data, source)
