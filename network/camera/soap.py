"""The read side of ONVIF as the few plain SOAP 1.2 calls drift needs, without WSDL parsing.

onvif-zeep-async parses a dozen WSDL/XSD files before its first call (most of a cold drift
run); reading a camera back takes six calls, written here with a WS-Security header like
Media2's. Every request goes to the endpoint drift was given: a service address the camera
advertises only lends its path (a camera cannot redirect the audit to another host).
Converging (the camera role) keeps onvif-zeep-async (`onvif_client.py`).
"""

from __future__ import annotations

import http.client
import xml.etree.ElementTree as ET
from contextlib import suppress
from datetime import UTC, datetime
from urllib.parse import urlsplit

from network.camera.model import Encoder, Live
from network.camera.wsse import security_header

NS = {"s": "http://www.w3.org/2003/05/soap-envelope",
      "tds": "http://www.onvif.org/ver10/device/wsdl",
      "trt": "http://www.onvif.org/ver10/media/wsdl",
      "tr2": "http://www.onvif.org/ver20/media/wsdl",
      "tt": "http://www.onvif.org/ver10/schema"}
_ENV = ('<s:Envelope xmlns:s="{s}" xmlns:tds="{tds}" xmlns:trt="{trt}" xmlns:tr2="{tr2}" '
        'xmlns:tt="{tt}"><s:Header>{{header}}</s:Header><s:Body>{{body}}</s:Body>'
        "</s:Envelope>").format(**NS)
DEVICE_PATH = "/onvif/device_service"


class SoapError(RuntimeError):
    """A SOAP fault or an unusable answer."""


class AuthRefused(SoapError):
    """The camera refused the credentials (HTTP 401 or a NotAuthorized fault)."""


class Unanswered(SoapError):
    """No HTTP answer at all (connection refused, timeout, reset)."""


class OnvifReader:
    """Plain SOAP calls to one camera as one account."""

    def __init__(self, host: str, port: int, username: str, password: str,
                 timeout: float = 10.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.username, self.password = username, password
        self.clock_offset = 0.0
        self.paths: dict[str, str] = {"tds": DEVICE_PATH}

    def as_user(self, username: str, password: str) -> OnvifReader:
        """The same camera (paths, clock) as another account."""
        other = OnvifReader(self.host, self.port, username, password, self.timeout)
        other.clock_offset, other.paths = self.clock_offset, dict(self.paths)
        return other

    def call(self, service: str, operation: str, inner: str = "", auth: bool = True
             ) -> ET.Element:
        """The body element of the answer to `service:operation`."""
        header = security_header(self.username, self.password, self.clock_offset) \
            if auth else ""
        prefix = "tr2" if service == "tr2" else service
        body = f"<{prefix}:{operation}>{inner}</{prefix}:{operation}>"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request("POST", self.paths.get(service, DEVICE_PATH),
                         _ENV.format(header=header, body=body).encode(), {
                             "Content-Type": "application/soap+xml; charset=utf-8; "
                                             f'action="{NS[prefix]}/{operation}"'})
            resp = conn.getresponse()
            status, text = resp.status, resp.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            raise Unanswered(f"{type(exc).__name__}: {exc}") from None
        finally:
            conn.close()
        try:
            root = ET.fromstring(text)
        except ET.ParseError:
            root = None
        fault = root.find(".//s:Fault", NS) if root is not None else None
        reason = " ".join(t.strip() for t in fault.itertext() if t.strip()) \
            if fault is not None else text[:200]
        if status == 401 or (fault is not None and "authoriz" in reason.lower()):
            raise AuthRefused(f"{operation}: login as {self.username!r} refused")
        if root is None or fault is not None or status >= 400:
            raise SoapError(f"{operation}: HTTP {status}: {reason}")
        found = root.find("s:Body", NS)
        if found is None or len(found) == 0:
            raise SoapError(f"{operation}: empty SOAP body")
        return found[0]

    def discover(self) -> None:
        """Clock offset (GetSystemDateAndTime, unauthenticated) and service paths."""
        dt = self.call("tds", "GetSystemDateAndTime", auth=False)
        utc = dt.find(".//tt:UTCDateTime", NS)
        if utc is not None:
            parts = {k: int(utc.findtext(f".//tt:{k}", "0", NS))
                     for k in ("Year", "Month", "Day", "Hour", "Minute", "Second")}
            with suppress(ValueError):   # an impossible date: keep our clock
                camera = datetime(parts["Year"], parts["Month"], parts["Day"], parts["Hour"],
                                  parts["Minute"], parts["Second"], tzinfo=UTC)
                self.clock_offset = camera.timestamp() - datetime.now(UTC).timestamp()
        try:
            services = self.call("tds", "GetServices",
                                 "<tds:IncludeCapability>false</tds:IncludeCapability>")
        except SoapError:
            return
        for svc in services.iter(f"{{{NS['tds']}}}Service"):
            ns, addr = svc.findtext("tds:Namespace", "", NS), svc.findtext("tds:XAddr", "", NS)
            for key in ("trt", "tr2"):
                if ns == NS[key] and addr:
                    self.paths[key] = urlsplit(addr).path or DEVICE_PATH

    def users(self) -> dict[str, str]:
        """name → level (GetUsers: needs an administrator on a real camera)."""
        answer = self.call("tds", "GetUsers")
        return {u.findtext("tt:Username", "", NS): u.findtext("tt:UserLevel", "", NS)
                for u in answer.iter(f"{{{NS['tds']}}}User")}

    def read(self, users: dict[str, str]) -> Live:
        """Every setting Beffroi manages, the same `Live` the zeep session reads."""
        live = Live(users=users)
        dt = self.call("tds", "GetSystemDateAndTime")
        live.datetime_type = dt.findtext(".//tt:DateTimeType", None, NS)
        live.timezone = dt.findtext(".//tt:TimeZone/tt:TZ", None, NS)
        try:
            ntp = self.call("tds", "GetNTP")
            live.ntp_from_dhcp = ntp.findtext(".//tt:FromDHCP", "", NS).strip() == "true"
            live.ntp_servers = tuple(
                m.findtext("tt:IPv4Address", "", NS) or m.findtext("tt:DNSname", "", NS)
                or m.findtext("tt:IPv6Address", "", NS)
                for m in ntp.iter(f"{{{NS['tt']}}}NTPManual"))
        except AuthRefused:
            raise
        except SoapError:
            live.ntp_servers = None
        try:
            vec = self.call("trt", "GetVideoEncoderConfigurations").find("trt:Configurations",
                                                                         NS)
        except AuthRefused:
            raise
        except SoapError:
            vec = None
        if vec is not None:
            live.encoder_token = vec.get("token", "")
            live.encoder = Encoder(
                vec.findtext("tt:Encoding", "", NS).upper(),
                int(vec.findtext("tt:Resolution/tt:Width", "0", NS)),
                int(vec.findtext("tt:Resolution/tt:Height", "0", NS)),
                int(vec.findtext("tt:RateControl/tt:FrameRateLimit", "0", NS)),
                int(vec.findtext("tt:RateControl/tt:BitrateLimit", "0", NS)))
        if "tr2" in self.paths:
            from network.camera.media2 import from_polygon
            masks = {}
            for el in self.call("tr2", "GetMasks").iter(f"{{{NS['tr2']}}}Masks"):
                pts = [(float(p.attrib["x"]), float(p.attrib["y"]))
                       for p in el.iter(f"{{{NS['tt']}}}Point")]
                if pts:
                    masks[el.get("token", "")] = from_polygon(pts)
            live.masks = tuple(masks.values())
            live.mask_tokens = {m.key(): t for t, m in masks.items()}
        return live

