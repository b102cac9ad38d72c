"""The recorder config file's declarative schema (msgspec): one Struct per TOML table.

A field without a default is required: `check()` names every missing, unknown or mistyped key
(CFG-1) before anything is built, so a required value can never default silently. Adding a
key is one line in its table; legal rules on the values live in recorder/config.py.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any

import msgspec

from recorder.legal import JOURNAL_DEFAULT_DAYS


class _Table(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Base of every table: keyword-only, immutable, unknown keys refused."""


class RecorderTable(_Table, frozen=True):
    """[recorder]: where video, state, key and checkpoints live; retention (RET-1)."""

    site: str
    storage_root: Path
    state_dir: Path
    retention_days: int  # RET-1: never a default (an omitted value once purged everything)
    signing_key: Path
    checkpoint_dir: Path
    journal_retention_days: int = JOURNAL_DEFAULT_DAYS  # JRN-2
    min_free_percent: float = 10.0
    segment_seconds: int = 60
    segment_format: str = "mpegts"
    reconnect_initial_seconds: float = 0.25
    reconnect_max_seconds: float = 5.0
    rtsp_timeout_seconds: float = 3.0
    purge_interval_seconds: float = 30.0
    export_dir: Path | None = None
    max_purge_share: float = 0.5
    checkpoint_interval_seconds: float = 300.0


class ApiTable(_Table, frozen=True):
    """[api]: the HTTP(S) API."""

    listen: str = "127.0.0.1:8443"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Hardening (issue 10 §4): safety knobs with defaults; ranges checked in config.py.
    max_connections: int = 64             # beyond: 503 at once, no thread
    max_connections_per_address: int = 16  # one host cannot take every slot
    request_timeout_seconds: float = 10.0  # whole request (line, headers, body) must arrive
    hash_concurrency: int = 2             # argon2 verifications at once (64 MiB each)
    hash_wait_seconds: float = 0.5        # wait for a hashing slot, then 503
    lockout_threshold: int = 5            # failures of one account name before it is locked
    address_lockout_threshold: int = 20   # failures from one address before it is locked
    lockout_base_seconds: float = 30.0    # first lock; doubles with each further failure
    lockout_max_seconds: float = 900.0    # longest lock; failures are forgotten after it


class RelayTable(_Table, frozen=True):
    """[relay]: the live-only RTSP relay (ACC-4)."""

    listen: str = "127.0.0.1:8554"
    # ACC-3/JRN-1: the crisis-cell wall's Ed25519 public key (base64, raw 32 bytes): the relay
    # admits a person the wall vouches for with a short-lived signed token (recorder/viewtoken)
    wall_public_key: str = ""


class MetricsTable(_Table, frozen=True):
    """[metrics]: the metrics-only listener the department's monitoring scrapes ("" = none)."""

    listen: str = ""


class TimeTable(_Table, frozen=True):
    """[time]: how TIME-1 clock synchronisation is checked."""

    sync_check: str = "chrony"


class Camera(_Table, frozen=True):
    """One recorded camera ([[cameras]])."""

    id: str
    role: str
    rtsp_url: str
    location: str  # CAM-4
    expected_fps: float
    width: int
    height: int


class User(_Table, frozen=True):
    """One individually designated person (ACC-1) and what they may reach ([[users]])."""

    id: str
    name: str
    role: str
    password_hash: str
    cameras: tuple[str, ...] = ()

    def may_see(self, camera_id: str) -> bool:
        """True when the user's camera list covers this camera."""
        return "*" in self.cameras or camera_id in self.cameras


class EventChannel(_Table, frozen=True):
    """[[events.routes]] channel: how a partner is reached (recorder/events/channels.py)."""

    type: str                    # webhook | email | syslog | mqtt
    url: str = ""                # webhook: https://… (http only on loopback, NET-2)
    host: str = ""               # email / syslog / mqtt server
    port: int = 0
    to: tuple[str, ...] = ()     # email recipients
    sender: str = ""             # email From:
    topic: str = "beffroi"       # mqtt topic prefix: PREFIX/SITE/KIND
    tls: bool = False            # STARTTLS (email), TLS (syslog RFC 5425, MQTT over TLS)


class EventRoute(_Table, frozen=True):
    """[[events.routes]]: one partner's route, rendered from the inventory's alerts."""

    id: str
    partner: str
    partner_kind: str
    channel: EventChannel
    kinds: tuple[str, ...]
    incident_types: tuple[str, ...] = ()  # lawful for this commune (L251-2), from the intent
    live_link: bool = False               # ACC-3: lawful recipients only
    days: tuple[str, ...] = ()            # empty: every day (24/7)
    start: str = "00:00"
    end: str = "24:00"
    rate_per_minute: int = 10
    dedup_seconds: float = 300.0
    group_max: int = 100


class OnvifSource(_Table, frozen=True):
    """[[events.onvif]]: a camera whose ONVIF Events service is pulled (PullPoint)."""

    camera: str
    host: str
    username: str
    password: str
    analytics: tuple[str, ...]  # the site model's CAM-6 allowlist names, e.g. scene_change
    port: int = 80


class EventsTable(_Table, frozen=True):
    """[events]: event sources and their routes to partners (issue 15)."""

    timezone: str = "Europe/Paris"        # of the routes' hours
    live_link_base: str = ""              # crisis-cell wall URL; + SITE/CAMERA
    poll_seconds: float = 1.0
    down_after_seconds: float = 10.0
    disk_warn_percent: float = 15.0
    retry_initial_seconds: float = 1.0
    retry_max_seconds: float = 300.0
    tunnel_probe: str = ""                # HOST:PORT in the tunnel, probed for tunnel_down
    tamper: bool = True                   # keyframes-only frozen/black/scene-change check
    hold_review_days: int = 90
    hold_warn_days: int = 7
    verify_interval_seconds: float = 21600.0
    routes: tuple[EventRoute, ...] = ()
    onvif: tuple[OnvifSource, ...] = ()


class ConfigFile(_Table, frozen=True):
    """The whole file."""

    recorder: RecorderTable
    api: ApiTable = ApiTable()
    relay: RelayTable = RelayTable()
    metrics: MetricsTable = MetricsTable()
    time: TimeTable = TimeTable()
    events: EventsTable = EventsTable()
    cameras: tuple[Camera, ...] = ()
    users: tuple[User, ...] = ()


def _dec_hook(kind: type, value: Any) -> Any:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise TypeError(f"Expected `{kind.__name__}`, got `{type(value).__name__}`")


def _struct_of(kind: Any) -> type[_Table] | None:
    """The table type of a field holding a table or an array of tables, else None."""
    if isinstance(kind, type) and issubclass(kind, _Table):
        return kind
    if typing.get_origin(kind) in (tuple, list):
        args = [a for a in typing.get_args(kind) if a is not Ellipsis]
        if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], _Table):
            return args[0]
    return None


def _type_name(kind: Any) -> str:
    if isinstance(kind, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(kind) if a is not type(None))
    if typing.get_origin(kind) in (tuple, list):
        return "list"
    return {"str": "string", "int": "integer", "float": "number", "Path": "path string"}.get(
        getattr(kind, "__name__", str(kind)), str(kind))


def check(value: Any, kind: type[_Table], path: str = "") -> list[tuple[str, str]]:
    """Every (key path, problem) of value against a table type: unknown, missing, mistyped."""
    if not isinstance(value, dict):
        return [(path or "-", "must be a table")]
    found: list[tuple[str, str]] = []
    fields = {f.encode_name: f for f in msgspec.structs.fields(kind)}
    prefix = f"{path}." if path else ""
    for key in sorted(set(value) - set(fields), key=str):
        found.append((f"{prefix}{key}", "unknown key (typo?); remove it"))
    for name, field in fields.items():
        where = f"{prefix}{name}"
        if name not in value:
            if field.required:
                found.append((where, "missing required key"))
            continue
        item, table = value[name], _struct_of(field.type)
        if table is not None and table is field.type:
            found += check(item, table, where)
        elif table is not None:
            if not isinstance(item, list):
                found.append((where, "must be an array of tables ([[...]])"))
                continue
            for i, sub in enumerate(item):
                found += check(sub, table, f"{where}[{i}]")
        else:
            try:
                msgspec.convert(item, field.type, dec_hook=_dec_hook)
            except msgspec.ValidationError:
                name_ = _type_name(field.type)
                article = "an" if name_[0] in "aeiou" else "a"
                found.append((where, f"must be {article} {name_}, got {item!r}"))
    return found


def build(value: dict[str, Any]) -> ConfigFile:
    """The typed file; call only once check() found nothing."""
    return msgspec.convert(value, ConfigFile, dec_hook=_dec_hook)
