"""An ONVIF session on one camera (onvif-zeep-async), reading and writing Beffroi's settings."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import aiohttp
from onvif import ONVIFCamera
from onvif.exceptions import ONVIFError
from zeep.exceptions import Error as ZeepError

from network.camera.media2 import Media2, Media2Error
from network.camera.model import Encoder, Live, Mask

NS_MEDIA2 = "http://www.onvif.org/ver20/media/wsdl"
# what a failed ONVIF exchange looks like from here (auth refused, fault, transport)
CALL_ERRORS = (ONVIFError, ZeepError, aiohttp.ClientError, Media2Error, OSError, TimeoutError)


class OnvifSession:
    """`async with OnvifSession(host, port, user, password) as cam:` — authenticated."""

    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self._cam = ONVIFCamera(host, port, username, password)
        self._http: aiohttp.ClientSession | None = None
        self.devicemgmt: Any = None
        self.media: Any = None
        self.media2: Media2 | None = None

    async def __aenter__(self) -> OnvifSession:
        try:
            await self._cam.update_xaddrs()
            self.devicemgmt = await self._cam.create_devicemgmt_service()
            await self.devicemgmt.GetUsers()          # proves the credentials
            self.media = await self._cam.create_media_service()
            url = self._cam.xaddrs.get(NS_MEDIA2)
            if url:
                self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
                self.media2 = Media2(self._http, url, self.username, self.password)
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the HTTP sessions."""
        if self._http is not None:
            await self._http.close()
        await self._cam.close()

    async def read(self) -> Live:
        """Read back every setting Beffroi manages; None where the device has no answer."""
        live = Live()
        dt = await self.devicemgmt.GetSystemDateAndTime()
        live.datetime_type = str(dt.DateTimeType)
        live.timezone = str(dt.TimeZone.TZ) if dt.TimeZone is not None else None
        try:
            ntp = await self.devicemgmt.GetNTP()
            live.ntp_from_dhcp = bool(ntp.FromDHCP)
            live.ntp_servers = tuple(str(m.IPv4Address or m.DNSname or m.IPv6Address)
                                     for m in (ntp.NTPManual or []))
        except CALL_ERRORS:
            live.ntp_servers = None
        users = await self.devicemgmt.GetUsers()
        live.users = {str(u.Username): str(u.UserLevel) for u in users or []}
        try:
            vecs = await self.media.GetVideoEncoderConfigurations()
        except CALL_ERRORS:
            vecs = []
        if vecs:
            v = vecs[0]   # the main (recorded) stream
            live.encoder_token = str(v.token)
            live.encoder = Encoder(str(v.Encoding).upper(), int(v.Resolution.Width),
                                   int(v.Resolution.Height), int(v.RateControl.FrameRateLimit),
                                   int(v.RateControl.BitrateLimit))
        if self.media2 is not None:
            masks = await self.media2.get_masks()
            live.masks = tuple(masks.values())
            live.mask_tokens = {m.key(): t for t, m in masks.items()}
        return live

    async def set_time(self, timezone: str, ntp_servers: tuple[str, ...]) -> None:
        """UTC clock from NTP (TIME-1)."""
        tz = "UTC0" if timezone.upper() == "UTC" else timezone
        await self.devicemgmt.SetSystemDateAndTime({"DateTimeType": "NTP",
                                                    "DaylightSavings": False,
                                                    "TimeZone": {"TZ": tz}})
        await self.devicemgmt.SetNTP({"FromDHCP": False, "NTPManual": [
            {"Type": "IPv4", "IPv4Address": s} for s in ntp_servers]})

    async def create_admin(self, username: str, password: str) -> None:
        """Add (or reset) the vaulted administrator account (NET-3)."""
        await self.devicemgmt.CreateUsers({"User": [{"Username": username, "Password": password,
                                                     "UserLevel": "Administrator"}]})

    async def set_password(self, username: str, password: str) -> None:
        """Reset an existing account's password to the vaulted one."""
        await self.devicemgmt.SetUser({"User": [{"Username": username, "Password": password,
                                                 "UserLevel": "Administrator"}]})

    async def delete_users(self, usernames: list[str]) -> None:
        """Remove accounts (the factory default)."""
        await self.devicemgmt.DeleteUsers({"Username": usernames})

    async def set_encoder(self, token: str, enc: Encoder) -> None:
        """Main stream resolution, frame rate and bitrate (CAM-1..3)."""
        cfg = await self.media.GetVideoEncoderConfiguration({"ConfigurationToken": token})
        cfg.Encoding = enc.codec
        cfg.Resolution.Width, cfg.Resolution.Height = enc.width, enc.height
        cfg.RateControl.FrameRateLimit = enc.fps
        cfg.RateControl.BitrateLimit = enc.bitrate_kbps
        await self.media.SetVideoEncoderConfiguration({"Configuration": cfg,
                                                       "ForcePersistence": True})

    async def add_mask(self, mask: Mask) -> None:
        """Create one privacy mask (CAM-5)."""
        assert self.media2 is not None
        await self.media2.create_mask(mask)

    async def remove_mask(self, token: str) -> None:
        """Delete one privacy mask."""
        assert self.media2 is not None
        await self.media2.delete_mask(token)
