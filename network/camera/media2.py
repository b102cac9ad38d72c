"""ONVIF Media2 privacy masks (CAM-5): GetMasks, CreateMask, DeleteMask.

onvif-zeep-async 4.3 ships no ver20 media WSDL, so these three calls are written as plain SOAP
1.2 with a WS-Security header. A mask is a polygon in ONVIF's normalised coordinates
(-1..1, y pointing up); Beffroi's masks are rectangles in image fractions (0..1, y down).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from network.camera.model import Mask
from network.camera.wsse import security_header

if TYPE_CHECKING:   # drift reads masks without aiohttp (network/camera/soap.py)
    import aiohttp

NS_TR2 = "http://www.onvif.org/ver20/media/wsdl"
NS_TT = "http://www.onvif.org/ver10/schema"
_ENV = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        f'xmlns:tr2="{NS_TR2}" xmlns:tt="{NS_TT}"><s:Header>{{header}}</s:Header>'
        "<s:Body>{body}</s:Body></s:Envelope>")


class Media2Error(RuntimeError):
    """The device answered a Media2 call with a fault or garbage."""


def to_polygon(mask: Mask) -> list[tuple[float, float]]:
    """Rectangle → four ONVIF points (clockwise from top-left)."""
    x0, x1 = 2 * mask.x - 1, 2 * (mask.x + mask.w) - 1
    y0, y1 = 1 - 2 * mask.y, 1 - 2 * (mask.y + mask.h)
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def from_polygon(points: list[tuple[float, float]]) -> Mask:
    """ONVIF polygon → its bounding rectangle in image fractions."""
    xs = [(px + 1) / 2 for px, _ in points]
    ys = [(1 - py) / 2 for _, py in points]
    return Mask(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


class Media2:
    """Media2 mask calls on one device."""

    def __init__(self, session: aiohttp.ClientSession, url: str, username: str,
                 password: str) -> None:
        self.session, self.url = session, url
        self.username, self.password = username, password

    async def _call(self, body: str) -> ET.Element:
        envelope = _ENV.format(header=security_header(self.username, self.password),
                               body=body)
        headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
        async with self.session.post(self.url, data=envelope.encode(), headers=headers) as resp:
            text = await resp.text()
        try:
            root = ET.fromstring(text)
        except ET.ParseError as exc:
            raise Media2Error(f"unparsable Media2 answer ({exc})") from None
        fault = root.find(".//{http://www.w3.org/2003/05/soap-envelope}Fault")
        if fault is not None or resp.status >= 400:
            reason = " ".join(t.strip() for t in (fault.itertext() if fault is not None else [])
                              if t.strip())
            raise Media2Error(f"Media2 fault (HTTP {resp.status}): {reason or text[:200]}")
        return root

    async def get_masks(self) -> dict[str, Mask]:
        """token → mask, for every mask the device holds."""
        root = await self._call("<tr2:GetMasks/>")
        out: dict[str, Mask] = {}
        for el in root.iter(f"{{{NS_TR2}}}Masks"):
            pts = [(float(p.attrib["x"]), float(p.attrib["y"]))
                   for p in el.iter(f"{{{NS_TT}}}Point")]
            if pts:
                out[el.attrib.get("token", "")] = from_polygon(pts)
        return out

    async def create_mask(self, mask: Mask, source_config: str = "VSC_1") -> str:
        """Create an opaque (Color) mask; returns its token."""
        pts = "".join(f'<tt:Point x="{x:.4f}" y="{y:.4f}"/>' for x, y in to_polygon(mask))
        root = await self._call(
            f"<tr2:CreateMask><tr2:Mask><tt:ConfigurationToken>{source_config}"
            f"</tt:ConfigurationToken><tt:Polygon>{pts}</tt:Polygon><tt:Type>Color</tt:Type>"
            "<tt:Enabled>true</tt:Enabled></tr2:Mask></tr2:CreateMask>")
        token = root.find(f".//{{{NS_TR2}}}Token")
        if token is None or not token.text:
            raise Media2Error("CreateMask returned no token")
        return token.text

    async def delete_mask(self, token: str) -> None:
        """Remove one mask."""
        await self._call(f"<tr2:DeleteMask><tr2:Token>{token}</tr2:Token></tr2:DeleteMask>")
