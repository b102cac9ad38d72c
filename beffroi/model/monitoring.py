"""The department's monitoring host: Prometheus + Alertmanager run by Moselle Fibre, scraping
every NVR's metrics-only listener over its own WireGuard tunnel to each commune firewall."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Interface, ip_address
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from beffroi.model.base import Hostname, Identifier, Label, Port, Strict
from beffroi.model.keys import WireGuardPublicKey

# The recorder purges by disk pressure below this free share (the intent writes it): the
# monitoring's disk warning must sit above it.
RECORDER_MIN_FREE_PERCENT = 10

Email = Annotated[str, StringConstraints(
    pattern=r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}$")]
HostPort = Annotated[str, StringConstraints(
    pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})?:[0-9]{1,5}$")]
# No userinfo (no credential in clear), no query string, no fragment.
_URL = r"^(?P<scheme>https?)://(?P<host>[A-Za-z0-9.-]{1,253})(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$"


def _webhook(value: str) -> str:
    """HTTPS, or plain HTTP to this host's own loopback (a local relay): alerts name sites."""
    import re

    m = re.match(_URL, value)
    if m is None:
        raise ValueError("must be https://HOST[:PORT]/PATH (no user:password@, no ?query)")
    if m["scheme"] == "http":
        try:
            loopback = ip_address(m["host"]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError("plain http is allowed to 127.0.0.1 only (NET-2): use https")
    return value


WebhookUrl = Annotated[str, AfterValidator(_webhook)]


class OnCall(Strict):
    """One on-call receiver of the operator (Alertmanager receiver)."""

    name: Identifier
    label: Label
    email: Email | None = None
    webhook_url: WebhookUrl | None = None

    @model_validator(mode="after")
    def _reachable(self) -> OnCall:
        if self.email is None and self.webhook_url is None:
            raise ValueError("an on-call receiver needs an `email` or a `webhook_url`")
        return self


class Smtp(Strict):
    """The mail relay Alertmanager sends through (no password: a relay of the collect network)."""

    smarthost: HostPort
    sender: Email
    require_tls: bool = True


class Thresholds(Strict):
    """When Beffroi's alert rules fire (seconds unless stated)."""

    camera_down_seconds: int = Field(120, ge=30, le=3600)
    no_segment_seconds: int = Field(300, ge=10, le=86400,
                                    description="No new segment for this long (≥ 2 × segment)")
    disk_free_percent: float = Field(15, gt=0, lt=100,
                                     description="Warn below this much free space")
    clock_unsynchronised_seconds: int = Field(300, ge=60, le=86400)  # TIME-1
    tunnel_handshake_seconds: int = Field(300, ge=150, le=86400,
                                          description="WireGuard handshake older than this")
    recorder_down_seconds: int = Field(60, ge=15, le=3600)
    drift_max_age_hours: int = Field(48, ge=1, le=720)


class Grouping(Strict):
    """Alertmanager grouping: one notification per site and alert, then repeats."""

    group_wait_seconds: int = Field(30, ge=0, le=3600)
    group_interval_seconds: int = Field(300, ge=1, le=86400)
    repeat_interval_hours: int = Field(4, ge=1, le=168)


class Monitoring(Strict):
    """`monitoring.yml`: the department's monitoring host and who it alerts."""

    name: Label
    hostname: Hostname
    operator: Label = Field(description="Who runs it and is on call (Moselle Fibre)")
    wan_address: IPv4Interface
    vpn_address: IPv4Address
    wireguard_port: Port = 51821
    wireguard_public_key: WireGuardPublicKey
    metrics_port: Port = Field(9188, description="The NVRs' metrics-only listener")
    scrape_interval_seconds: int = Field(30, ge=5, le=300)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    grouping: Grouping = Field(default_factory=Grouping)
    smtp: Smtp | None = None
    on_call: list[OnCall] = Field(min_length=1, description="Receivers of every alert")

    @model_validator(mode="after")
    def _mail_has_a_relay(self) -> Monitoring:
        if self.smtp is None and any(r.email for r in self.on_call):
            raise ValueError("an on-call receiver has an `email` but no `smtp` relay is declared")
        names = [r.name for r in self.on_call]
        if len(set(names)) != len(names):
            raise ValueError("on_call receiver names must be unique")
        return self
