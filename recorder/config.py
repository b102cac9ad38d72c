"""The recorder's configuration file (TOML): legal rules over the typed schema, loading.

The control plane renders this file from the site model; `recorder check-config FILE` is the
Ansible role's `validate:` step, so every rule names the key and the rule id it enforces.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recorder import schema
from recorder.events.checks import check_events
from recorder.legal import (
    JOURNAL_MAX_DAYS,
    JOURNAL_MIN_DAYS,
    RETENTION_MAX_DAYS,
    RETENTION_MIN_DAYS,
    size_rule,
    stream_floor,
)
from recorder.schema import (
    ApiTable,
    Camera,
    EventsTable,
    MetricsTable,
    RecorderTable,
    RelayTable,
    TimeTable,
    User,
)

__all__ = ["Camera", "Config", "ConfigError", "Finding", "Retention", "User", "load", "parse"]

ROLES = ("maire", "adjoint", "live", "admin", "probe")
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
# \Z, not $: "$" accepts a trailing newline; [0-9], not \d: \d accepts any script's digits
_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}\Z")
_LISTEN = re.compile(r"^(?P<host>\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(?P<port>[0-9]{1,5})\Z")


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


_READ = object()


def _retention_ok(days: int) -> bool:
    """RET-1: within the legal bounds (recorder/legal.py)."""
    return RETENTION_MIN_DAYS <= days <= RETENTION_MAX_DAYS


class Retention:
    """RET-1 retention as read from a validated config file: only parse() can build one, so
    the purge can refuse any retention that was not read explicitly."""

    __slots__ = ("_seal", "days", "source")

    def __init__(self, days: int, source: str, *, token: object) -> None:
        if token is not _READ or isinstance(days, bool) or not _retention_ok(days):
            raise TypeError("RET-1: a Retention is built only by recorder.config from a "
                            "validated file")
        self.days = days
        self.source = source
        self._seal = _READ

    def is_read(self) -> bool:
        """True only for a Retention built by parse() (not copied, forged or altered)."""
        return getattr(self, "_seal", None) is _READ and _retention_ok(self.days)

    def __repr__(self) -> str:
        return f"Retention({self.days} days from {self.source})"


# --- API hardening (issue 10 §4): the [api] limits and the transport rule -----------------------
# The [api] hardening keys are fields of schema.ApiTable (defaults there); their bounds:
ApiLimits = ApiTable  # what the API, the relay and the guard read: conf.api_limits
_LIMIT_RANGES: dict[str, tuple[float, float]] = {
    "max_connections": (2, 4096), "max_connections_per_address": (1, 4096),
    "request_timeout_seconds": (0.5, 300),
    "hash_concurrency": (1, 64), "hash_wait_seconds": (0, 30), "lockout_threshold": (1, 1000),
    "address_lockout_threshold": (1, 100000), "lockout_base_seconds": (0.1, 86400),
    "lockout_max_seconds": (0.1, 86400),
}
_LOOPBACK = re.compile(r"^(127\.[0-9]+\.[0-9]+\.[0-9]+|::1|localhost)\Z")


def _api_limit_ranges(r: _Rules, api: ApiTable) -> None:
    """The [api] hardening keys stay within sane bounds."""
    for key, (low, high) in _LIMIT_RANGES.items():
        value = getattr(api, key)
        if not low <= value <= high:
            r.err(f"api.{key}", "CFG-2", f"must be {low:g}..{high:g}, got {value}")


def _check_transport(r: _Rules, host: str, tls: bool) -> None:
    """NET-2: Basic credentials and video never cross a network in clear."""
    if not tls and not _LOOPBACK.match(host):
        r.err("api.tls_cert", "NET-2",
              f"the API listens on {host}, not loopback: set tls_cert and tls_key "
              "(plain HTTP is allowed on 127.0.0.1 only)")
# --- end of API hardening keys ---------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The validated configuration: the typed tables (new keys: `conf.recorder.KEY`,
    `conf.api.KEY` ...) plus the derived values the rest of the recorder uses."""

    source: str
    recorder: RecorderTable
    api: ApiTable
    relay: RelayTable
    time: TimeTable
    cameras: tuple[Camera, ...]
    users: tuple[User, ...]
    retention: Retention
    events: EventsTable = field(default_factory=EventsTable)  # issue 15: sources, routes
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    metrics: MetricsTable = field(default_factory=MetricsTable)

    @property
    def site(self) -> str:
        """[recorder] site."""
        return self.recorder.site
    @property
    def storage_root(self) -> Path:
        """[recorder] storage_root."""
        return self.recorder.storage_root
    @property
    def state_dir(self) -> Path:
        """[recorder] state_dir."""
        return self.recorder.state_dir
    @property
    def signing_key(self) -> Path:
        """[recorder] signing_key."""
        return self.recorder.signing_key
    @property
    def checkpoint_dir(self) -> Path:
        """[recorder] checkpoint_dir."""
        return self.recorder.checkpoint_dir
    @property
    def journal_retention_days(self) -> int:
        """[recorder] journal_retention_days."""
        return self.recorder.journal_retention_days
    @property
    def min_free_percent(self) -> float:
        """[recorder] min_free_percent."""
        return self.recorder.min_free_percent
    @property
    def segment_seconds(self) -> int:
        """[recorder] segment_seconds."""
        return self.recorder.segment_seconds
    @property
    def segment_format(self) -> str:
        """[recorder] segment_format."""
        return self.recorder.segment_format
    @property
    def reconnect_initial_seconds(self) -> float:
        """[recorder] reconnect_initial_seconds."""
        return self.recorder.reconnect_initial_seconds
    @property
    def reconnect_max_seconds(self) -> float:
        """[recorder] reconnect_max_seconds."""
        return self.recorder.reconnect_max_seconds
    @property
    def rtsp_timeout_seconds(self) -> float:
        """[recorder] rtsp_timeout_seconds."""
        return self.recorder.rtsp_timeout_seconds
    @property
    def purge_interval_seconds(self) -> float:
        """[recorder] purge_interval_seconds."""
        return self.recorder.purge_interval_seconds
    @property
    def tls_cert(self) -> Path | None:
        """[api] tls_cert."""
        return self.api.tls_cert
    @property
    def tls_key(self) -> Path | None:
        """[api] tls_key."""
        return self.api.tls_key
    @property
    def sync_check(self) -> str:
        """[time] sync_check."""
        return self.time.sync_check

    @property
    def retention_days(self) -> int:
        """RET-1 retention in days (read explicitly from the file)."""
        return self.retention.days

    @property
    def export_dir(self) -> Path:
        """Where API exports are written."""
        return self.recorder.export_dir or self.recorder.state_dir / "exports"

    @property
    def api_limits(self) -> ApiLimits:
        """[api] connection, hashing and lockout limits (issue 10 §4)."""
        return self.api

    @property
    def api_listen(self) -> tuple[str, int]:
        """(host, port) of the API."""
        return _split_listen(self.api.listen)

    @property
    def relay_listen(self) -> tuple[str, int]:
        """(host, port) of the live relay."""
        return _split_listen(self.relay.listen)

    @property
    def metrics_listen(self) -> tuple[str, int] | None:
        """(host, port) of the metrics-only listener, or None when there is none."""
        return _split_listen(self.metrics.listen) if self.metrics.listen else None

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


def _split_listen(value: str) -> tuple[str, int]:
    m = _LISTEN.match(value)
    assert m is not None  # checked by parse()
    return m["host"].strip("[]"), int(m["port"])


class _Rules:
    """Collects findings of the legal and consistency rules over the typed file."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def err(self, key: str, rule: str, message: str) -> None:
        self.findings.append(Finding(key, rule, message))

    def listen(self, value: str, key: str) -> None:
        m = _LISTEN.match(value)
        if not m or not 0 < int(m["port"]) < 65536:
            self.err(key, "CFG-2", f"must be HOST:PORT, got {value!r}")
            return
        if m["host"].strip("[]") in ("0.0.0.0", "::"):
            self.err(key, "NET-1", "listen on a named address, never every interface")


def _inside(path: Path, *roots: Path) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def parse(data: dict[str, Any], source: str = "<config>") -> Config:
    """Validate a parsed TOML document and build the Config; raise ConfigError listing findings."""
    shape = [Finding(key, "CFG-1", msg) for key, msg in schema.check(data, schema.ConfigFile)]
    if shape:
        raise ConfigError(source, shape)
    f = schema.build(data)
    r = _Rules()
    _recorder(r, f.recorder)
    r.listen(f.api.listen, "api.listen")
    if (f.api.tls_cert is None) != (f.api.tls_key is None):
        r.err("api.tls_cert", "NET-2", "set both tls_cert and tls_key, or neither")
    else:
        _check_transport(r, _split_listen(f.api.listen)[0] if _LISTEN.match(f.api.listen)
                         else f.api.listen, f.api.tls_cert is not None)
    _api_limit_ranges(r, f.api)
    r.listen(f.relay.listen, "relay.listen")
    if f.relay.wall_public_key:
        from recorder.viewtoken import load_public_b64

        try:
            load_public_b64(f.relay.wall_public_key)
        except ValueError as exc:
            r.err("relay.wall_public_key", "ACC-3", f"must be the wall's base64 Ed25519 public "
                  f"key ({exc}): copy crisis-cell.yml wall.public_key")
    if f.metrics.listen:
        _metrics_apart(r, f)
    if f.time.sync_check not in SYNC_CHECKS:
        r.err("time.sync_check", "TIME-1", f"must be one of {', '.join(SYNC_CHECKS)}")
    _cameras(r, f.cameras)
    users = _users(r, f.users, {c.id for c in f.cameras})
    for key, rule, message in check_events(f.events):
        r.err(key, rule, message)
    for i, src in enumerate(f.events.onvif):
        if src.camera not in {c.id for c in f.cameras}:
            r.err(f"events.onvif[{i}].camera", "CFG-2", f"unknown camera id {src.camera!r}")
    if r.findings:
        raise ConfigError(source, r.findings)
    return Config(source=source, recorder=f.recorder, api=f.api, relay=f.relay, time=f.time,
                  cameras=f.cameras, users=users, events=f.events,
                  retention=Retention(f.recorder.retention_days, source, token=_READ), raw=data,
                  metrics=f.metrics)


def _metrics_apart(r: _Rules, f: schema.ConfigFile) -> None:
    """ACC-4/NET-1: the metrics listener is its own address:port, never the API's (recordings)
    nor the relay's (live video): the firewall opens it alone to the department's monitoring."""
    r.listen(f.metrics.listen, "metrics.listen")
    if f.metrics.listen in (f.api.listen, f.relay.listen):
        r.err("metrics.listen", "ACC-4", f"{f.metrics.listen} is also the API's or the relay's "
              "address: the monitoring flow would reach video; give metrics its own port")


def _recorder(r: _Rules, rec: RecorderTable) -> None:
    if not _SLUG.match(rec.site):
        r.err("recorder.site", "CFG-2", "must be a lowercase slug like 'evrange'")
    paths = {"storage_root": rec.storage_root, "state_dir": rec.state_dir,
             "signing_key": rec.signing_key, "checkpoint_dir": rec.checkpoint_dir}
    for key, p in paths.items():
        if not p.is_absolute():
            r.err(f"recorder.{key}", "CFG-2", f"must be an absolute path, got {str(p)!r}")
    if all(p.is_absolute() for p in paths.values()):
        _apart(r, rec)
    if not _retention_ok(rec.retention_days):
        r.err("recorder.retention_days", "RET-1",
              f"must be {RETENTION_MIN_DAYS}..{RETENTION_MAX_DAYS} days (CSI L252-5: at most "
              f"one month), got {rec.retention_days}")
    if not 0 < rec.max_purge_share <= 1:
        r.err("recorder.max_purge_share", "RET-1",
              "must be in (0, 1]: the largest share of unheld video one purge may destroy "
              f"before it stops and alarms, got {rec.max_purge_share:g}")
    if not 10 <= rec.checkpoint_interval_seconds <= 3600:
        r.err("recorder.checkpoint_interval_seconds", "JRN-2",
              "must be 10..3600: entries newer than the last checkpoint can be cut unseen")
    if not JOURNAL_MIN_DAYS <= rec.journal_retention_days <= JOURNAL_MAX_DAYS:
        r.err("recorder.journal_retention_days", "JRN-2",
              f"the journal is kept 6 to 12 months ({JOURNAL_MIN_DAYS}..{JOURNAL_MAX_DAYS} "
              f"days), got {rec.journal_retention_days}")
    if not 1 <= rec.min_free_percent <= 50:
        r.err("recorder.min_free_percent", "CFG-2",
              f"must be 1..50 (%), got {rec.min_free_percent:g}")
    if not 1 <= rec.segment_seconds <= 3600:
        r.err("recorder.segment_seconds", "CFG-2", f"must be 1..3600, got {rec.segment_seconds}")
    if rec.segment_format != "mpegts":
        r.err("recorder.segment_format", "CFG-2",
              "only 'mpegts' is supported (crash-tolerant; see docs/recorder.md)")
    if not 0 < rec.reconnect_initial_seconds <= rec.reconnect_max_seconds <= 300:
        r.err("recorder.reconnect_max_seconds", "CFG-2",
              "need 0 < reconnect_initial_seconds <= reconnect_max_seconds <= 300")
    if not 0.5 <= rec.rtsp_timeout_seconds <= 60:
        r.err("recorder.rtsp_timeout_seconds", "CFG-2", "must be 0.5..60 (ffmpeg -timeout)")
    if not 1 <= rec.purge_interval_seconds <= 3600:
        r.err("recorder.purge_interval_seconds", "CFG-2", "must be 1..3600")
    if rec.export_dir is not None and not rec.export_dir.is_absolute():
        r.err("recorder.export_dir", "CFG-2", "must be an absolute path")


def _apart(r: _Rules, rec: RecorderTable) -> None:
    """JRN-2: video, state, checkpoints and the signing key each in their own place."""
    if _inside(rec.state_dir, rec.storage_root) or _inside(rec.storage_root, rec.state_dir):
        r.err("recorder.state_dir", "JRN-2",
              "register and journal must be stored apart from the video: use a state_dir "
              "outside storage_root (and vice versa)")
        return
    if _inside(rec.signing_key, rec.state_dir, rec.storage_root, rec.checkpoint_dir):
        r.err("recorder.signing_key", "JRN-2",
              "the signing key must not sit beside what it signs: keep it in its own "
              "directory, outside state_dir, storage_root and checkpoint_dir")
    if (_inside(rec.checkpoint_dir, rec.state_dir, rec.storage_root)
            or _inside(rec.state_dir, rec.checkpoint_dir)
            or _inside(rec.storage_root, rec.checkpoint_dir)):
        r.err("recorder.checkpoint_dir", "JRN-2",
              "signed checkpoints must be kept apart from the state and the video they "
              "witness: use a directory outside state_dir and storage_root")


def _cameras(r: _Rules, items: tuple[Camera, ...]) -> None:
    if not items:
        r.err("cameras", "CFG-1", "at least one [[cameras]] entry is required")
    seen: set[str] = set()
    for i, cam in enumerate(items):
        p = f"cameras[{i}]"
        if not _SLUG.match(cam.id):
            r.err(f"{p}.id", "CFG-2", "must be a lowercase slug (used in file names)")
        if cam.id in seen:
            r.err(f"{p}.id", "CFG-2", f"duplicate camera id {cam.id!r}")
        seen.add(cam.id)
        if cam.role not in CAMERA_ROLES:
            r.err(f"{p}.role", "CFG-2", f"must be one of {', '.join(CAMERA_ROLES)}")
        if not cam.rtsp_url.startswith(("rtsp://", "rtsps://")):
            r.err(f"{p}.rtsp_url", "CFG-2", "must be an rtsp:// or rtsps:// URL")
        if not cam.location.strip():
            r.err(f"{p}.location", "CAM-4", "the camera location must be retrievable: set it")
        fps, width, height = cam.expected_fps, cam.width, cam.height
        if fps <= 0 or width <= 0 or height <= 0:
            r.err(f"{p}.expected_fps", "CFG-2", "expected_fps, width and height are positive")
        elif cam.role in CAMERA_ROLES:
            min_w, min_h, min_fps = stream_floor(cam.role)  # CAM-1..3
            narrow = cam.role == "narrow"
            if fps < min_fps:
                what = "a narrow-field camera records" if narrow else "a recorded stream is"
                r.err(f"{p}.expected_fps", "CAM-3", f"{what} >= {min_fps} fps, got {fps:g}")
            if width < min_w or height < min_h:
                what = "a narrow-field stream is" if narrow else "a recorded stream is"
                r.err(f"{p}.width", size_rule(cam.role),
                      f"{what} >= {min_w}x{min_h}, got {width}x{height}")


def _users(r: _Rules, items: tuple[User, ...], camera_ids: set[str]) -> tuple[User, ...]:
    if not items:
        r.err("users", "ACC-1", "at least one [[users]] entry (a named person) is required")
    out: list[User] = []
    ids: set[str] = set()
    names: dict[str, str] = {}
    for i, user in enumerate(items):
        p = f"users[{i}]"
        uid, name, role, cams = user.id, user.name, user.role, user.cameras
        if not _SLUG.match(uid):
            r.err(f"{p}.id", "CFG-2", "must be a lowercase slug")
        if uid in ids:
            r.err(f"{p}.id", "ACC-1", f"duplicate account id {uid!r}")
        ids.add(uid)
        if len(name.split()) < 2:
            r.err(f"{p}.name", "ACC-1",
                  "each account maps to a named person: give first name and surname")
        key = " ".join(name.lower().split())
        if key and key in names:
            r.err(f"{p}.name", "ACC-1",
                  f"one account per person: {name!r} already has account {names[key]!r}")
        names.setdefault(key, uid)
        if role not in ROLES:
            r.err(f"{p}.role", "ACC-2", f"must be one of {', '.join(ROLES)}")
        if uid.lower() in GENERIC_IDS and role != "admin":
            r.err(f"{p}.id", "ACC-1", f"{uid!r} is a generic/shared account name; use a "
                  "personal id (e.g. jdupont)")
        if not user.password_hash.startswith("$argon2id$"):
            r.err(f"{p}.password_hash", "ACC-5",
                  "must be an argon2id hash: produce it with `recorder hash-password`")
        for c in cams:
            if c != "*" and c not in camera_ids:
                r.err(f"{p}.cameras", "CFG-2", f"unknown camera id {c!r}")
        if role == "probe" and list(cams) != ["*"]:
            r.err(f"{p}.cameras", "ACC-4", "the crisis cell's health probe checks every live "
                  "mount and watches none: cameras = [\"*\"]")
        if role == "admin" and cams:
            r.err(f"{p}.cameras", "ACC-4",
                  "the admin role configures the recorder and sees no video: cameras = []")
        if role in ("maire", "adjoint", "live") and not cams:
            r.err(f"{p}.cameras", "ACC-2", "list the cameras this person may see, or [\"*\"]")
        out.append(user)
    return tuple(out)


def load(path: str | Path) -> Config:
    """Read and validate a TOML config file; raise ConfigError with readable findings."""
    source = str(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(source, [Finding("-", "CFG-0", "file not found")]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [Finding("-", "CFG-0", f"not UTF-8 text (byte {exc.start}): "
                                           "save the file as UTF-8")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [Finding("-", "CFG-0", f"not valid TOML: {exc}")]) from None
    except OSError as exc:
        raise ConfigError(source, [Finding("-", "CFG-0", f"cannot read: {exc.strerror}")]) from None
    return parse(data, source)
