"""LAB CODE, not the vendor's: stateful ONVIF setters added to ipycam 1.3.0's ONVIFService.

ipycam answers the ONVIF read side (device information, profiles, users, stream URIs) but has
no setter at all (PEERS.md). To exercise Beffroi's provisioning path end to end, this module —
imported by `onvif_camera.py` inside the ipycam venv, before the camera starts — adds
what a real camera's firmware does: SetSystemDateAndTime/GetSystemDateAndTime, SetNTP/GetNTP,
CreateUsers/SetUser/DeleteUsers/GetUsers with per-user passwords checked by WS-Security,
GetVideoEncoderConfigurations/SetVideoEncoderConfiguration (changing the real stream settings
of the ipycam config), and, when MASKS is on, the Media2 privacy-mask calls
(GetServices advertises ver20/media; GetMasks/CreateMask/DeleteMask). It follows the pattern of
../shared/peers/ipycam_setters_ext.py. Parsing is by regular expressions: enough for the
requests onvif-zeep-async and Beffroi send, not a general SOAP stack.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from xml.sax.saxutils import escape

from ipycam.onvif import ONVIFService, verify_ws_username_token

STATE: dict[str, Any] = {"masks_supported": False, "users": {}, "ntp": [], "ntp_dhcp": True,
                         "dt_type": "Manual", "tz": "CET-1CEST,M3.5.0,M10.5.0/3", "masks": {}}
TDS = ('xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
       'xmlns:tt="http://www.onvif.org/ver10/schema"')
TRT = ('xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
       'xmlns:tt="http://www.onvif.org/ver10/schema"')
TR2 = ('xmlns:tr2="http://www.onvif.org/ver20/media/wsdl" '
       'xmlns:tt="http://www.onvif.org/ver10/schema"')
# schema-required element (onvif-zeep-async refuses to send a configuration without it); the
# values mean "no multicast": nothing is ever sent to a group address
_NO_MULTICAST = ("<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0"
                 "</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL>"
                 "<tt:AutoStart>false</tt:AutoStart></tt:Multicast>")
_orig_handle = ONVIFService.handle_action
_orig_services = ONVIFService.get_services


def configure(factory_user: str, factory_password: str, masks: bool) -> None:
    """The camera as it leaves the factory: one default administrator, local time zone."""
    STATE["users"] = {factory_user: ("Administrator", factory_password)}
    STATE["masks_supported"] = masks


def _op(body: str) -> str:
    m = re.search(r"<(?:[\w.-]+:)?Body[^>]*>\s*<(?:[\w.-]+:)?(\w+)", body, re.S)
    return m.group(1) if m else ""


def _vals(body: str, tag: str) -> list[str]:
    return re.findall(rf"<(?:[\w.-]+:)?{tag}(?:\s[^>]*)?>([^<]*)</", body)


def _body(body: str) -> str:
    m = re.search(r"<(?:[\w.-]+:)?Body[^>]*>(.*)</(?:[\w.-]+:)?Body>", body, re.S)
    return m.group(1) if m else body


def verify_usernametoken(self: ONVIFService, soap_body: str) -> bool:
    """Any current user with its own password (the vendor checks a single configured user)."""
    if _op(soap_body) in ("GetSystemDateAndTime",):   # clients read the clock before auth
        return True
    return any(verify_ws_username_token(soap_body, name, pw)
               for name, (_, pw) in STATE["users"].items())


def _encoder(self: ONVIFService, tag: str) -> str:
    c = self.config
    return (f'<{tag} token="VEC_1"><tt:Name>H264_Main</tt:Name><tt:UseCount>1</tt:UseCount>'
            f"<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>{c.main_width}</tt:Width>"
            f"<tt:Height>{c.main_height}</tt:Height></tt:Resolution><tt:Quality>5</tt:Quality>"
            f"<tt:RateControl><tt:FrameRateLimit>{c.main_fps}</tt:FrameRateLimit>"
            f"<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>"
            f"{self._bitrate_to_kbps(c.main_bitrate)}</tt:BitrateLimit></tt:RateControl>"
            f"<tt:H264><tt:GovLength>{c.main_fps}</tt:GovLength><tt:H264Profile>High"
            f"</tt:H264Profile></tt:H264>{_NO_MULTICAST}"
            f"<tt:SessionTimeout>PT60S</tt:SessionTimeout></{tag}>")


def get_services(self: ONVIFService) -> str:
    """Advertise Media2 (privacy masks) when this simulated model has masks."""
    out = _orig_services(self)
    if not STATE["masks_supported"]:
        return str(out)
    url = f"http://{self.config.local_ip}:{self.config.onvif_port}/onvif/media2_service"
    media2 = ("<tds:Service><tds:Namespace>http://www.onvif.org/ver20/media/wsdl</tds:Namespace>"
              f"<tds:XAddr>{url}</tds:XAddr><tds:Version><tt:Major>2</tt:Major>"
              "<tt:Minor>60</tt:Minor></tds:Version></tds:Service>")
    return str(out).replace("</tds:GetServicesResponse>", media2 + "</tds:GetServicesResponse>")


def handle_action(self: ONVIFService, action: str, body: str) -> str | None:
    """Route the setters this extension adds; everything else goes to ipycam."""
    op = _op(body) or action.rsplit("/", 1)[-1]
    full, body = body, _body(body)   # never read values from the WS-Security header

    def env(inner: str) -> str:
        return str(self._wrap_envelope(inner))

    if op == "GetSystemDateAndTime":
        import time
        t = time.gmtime()
        return env(f"<tds:GetSystemDateAndTimeResponse {TDS}><tds:SystemDateAndTime>"
                   f"<tt:DateTimeType>{STATE['dt_type']}</tt:DateTimeType>"
                   "<tt:DaylightSavings>false</tt:DaylightSavings>"
                   f"<tt:TimeZone><tt:TZ>{escape(STATE['tz'])}</tt:TZ></tt:TimeZone>"
                   f"<tt:UTCDateTime><tt:Time><tt:Hour>{t.tm_hour}</tt:Hour><tt:Minute>"
                   f"{t.tm_min}</tt:Minute><tt:Second>{t.tm_sec}</tt:Second></tt:Time>"
                   f"<tt:Date><tt:Year>{t.tm_year}</tt:Year><tt:Month>{t.tm_mon}</tt:Month>"
                   f"<tt:Day>{t.tm_mday}</tt:Day></tt:Date></tt:UTCDateTime>"
                   "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>")
    if op == "SetSystemDateAndTime":
        STATE["dt_type"] = (_vals(body, "DateTimeType") or ["Manual"])[0]
        STATE["tz"] = (_vals(body, "TZ") or [STATE["tz"]])[0]
        return env(f"<tds:SetSystemDateAndTimeResponse {TDS}/>")
    if op == "SetNTP":
        STATE["ntp"] = _vals(body, "IPv4Address") + _vals(body, "DNSname")
        STATE["ntp_dhcp"] = _vals(body, "FromDHCP") == ["true"]
        return env(f"<tds:SetNTPResponse {TDS}/>")
    if op == "GetNTP":
        man = "".join(f"<tt:NTPManual><tt:Type>IPv4</tt:Type><tt:IPv4Address>{escape(a)}"
                      "</tt:IPv4Address></tt:NTPManual>" for a in STATE["ntp"])
        return env(f"<tds:GetNTPResponse {TDS}><tds:NTPInformation><tt:FromDHCP>"
                   f"{str(STATE['ntp_dhcp']).lower()}</tt:FromDHCP>{man}</tds:NTPInformation>"
                   "</tds:GetNTPResponse>")
    if op in ("CreateUsers", "SetUser"):
        users = re.findall(r"<(?:[\w.-]+:)?User(?:s)?>(.*?)</(?:[\w.-]+:)?User(?:s)?>", body, re.S)
        for chunk in users:
            name = _vals(chunk, "Username")[0]
            pw = (_vals(chunk, "Password") or [STATE["users"].get(name, ("", ""))[1]])[0]
            level = (_vals(chunk, "UserLevel") or ["User"])[0]
            STATE["users"][name] = (level, pw)
        return env(f"<tds:{op}Response {TDS}/>")
    if op == "DeleteUsers":
        for name in _vals(body, "Username"):
            STATE["users"].pop(name, None)
        return env(f"<tds:DeleteUsersResponse {TDS}/>")
    if op == "GetUsers":
        us = "".join(f"<tds:User><tt:Username>{escape(u)}</tt:Username><tt:UserLevel>{lvl}"
                     "</tt:UserLevel></tds:User>" for u, (lvl, _) in STATE["users"].items())
        return env(f"<tds:GetUsersResponse {TDS}>{us}</tds:GetUsersResponse>")
    if op == "GetVideoEncoderConfigurations":
        return env(f"<trt:GetVideoEncoderConfigurationsResponse {TRT}>"
                   f"{_encoder(self, 'trt:Configurations')}"
                   "</trt:GetVideoEncoderConfigurationsResponse>")
    if op == "GetVideoEncoderConfiguration":
        return env(f"<trt:GetVideoEncoderConfigurationResponse {TRT}>"
                   f"{_encoder(self, 'trt:Configuration')}"
                   "</trt:GetVideoEncoderConfigurationResponse>")
    if op == "SetVideoEncoderConfiguration":
        w, h = _vals(body, "Width"), _vals(body, "Height")
        fps, br = _vals(body, "FrameRateLimit"), _vals(body, "BitrateLimit")
        if w and h:
            self.config.main_width, self.config.main_height = int(w[0]), int(h[0])
        if fps:
            self.config.main_fps = int(fps[0])
        if br:
            self.config.main_bitrate = f"{int(br[0])}K"
        return env(f"<trt:SetVideoEncoderConfigurationResponse {TRT}/>")
    if STATE["masks_supported"] and op == "GetMasks":
        masks = "".join(
            f'<tr2:Masks token="{t}"><tt:ConfigurationToken>VSC_1</tt:ConfigurationToken>'
            f"<tt:Polygon>{pts}</tt:Polygon><tt:Type>Color</tt:Type>"
            f"<tt:Enabled>true</tt:Enabled></tr2:Masks>"
            for t, pts in STATE["masks"].items())
        return env(f"<tr2:GetMasksResponse {TR2}>{masks}</tr2:GetMasksResponse>")
    if STATE["masks_supported"] and op == "CreateMask":
        token = f"mask-{uuid.uuid4().hex[:8]}"
        pts = "".join(re.findall(r"<(?:[\w.-]+:)?Point\s[^>]*/>", body))
        STATE["masks"][token] = pts.replace("tt:Point", "tt:Point")
        return env(f"<tr2:CreateMaskResponse {TR2}><tr2:Token>{token}</tr2:Token>"
                   "</tr2:CreateMaskResponse>")
    if STATE["masks_supported"] and op == "DeleteMask":
        for token in _vals(body, "Token"):
            STATE["masks"].pop(token, None)
        return env(f"<tr2:DeleteMaskResponse {TR2}/>")
    result: str | None = _orig_handle(self, action, full)
    return result


def install() -> None:
    """Patch ipycam's ONVIFService (call before IPCamera() is created)."""
    ONVIFService.handle_action = handle_action
    ONVIFService.verify_usernametoken = verify_usernametoken
    ONVIFService.get_services = get_services
