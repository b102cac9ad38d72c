"""Camera-side events through an ONVIF PullPoint subscription (onvif-zeep-async), for the
cameras that offer an Events service and declare the analytics (site model, CAM-6 allowlist).

Only topics about the camera's own image become events (`camera_tamper`, the camera's topic
kept in `data.onvif_topic`): scene change, too blurry / dark / bright, signal loss. Anything
else — motion, line crossing, faces, plates, people, objects — is dropped and counted, never
emitted (CAM-6; the site model refuses those analytics too).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from recorder.events import event as ev
from recorder.schema import OnvifSource

log = logging.getLogger("recorder.events.onvif")
PULLPOINT = "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription"
# ONVIF VideoSource topics (device integrity), by the analytics name the site model uses.
TOPICS = {"scene_change": "GlobalSceneChange", "image_too_blurry": "ImageTooBlurry",
          "image_too_dark": "ImageTooDark", "image_too_bright": "ImageTooBright",
          "signal_loss": "SignalLoss"}
RENEW_EVERY = 30.0


def classify(topic: str, allowed: tuple[str, ...]) -> str | None:
    """The analytics name of a tampering topic the camera is declared for, else None."""
    if "VideoSource" not in topic:
        return None  # RuleEngine (motion, line crossing…), analytics objects: never (CAM-6)
    for name, word in TOPICS.items():
        if word in topic and name in allowed:
            return name
    return None


def _state(message: Any) -> bool:
    """The `State` (or first boolean) simple item of an ONVIF message's Data."""
    try:
        items = message.Message._value_1.Data.SimpleItem
    except AttributeError:
        return True
    for item in items or []:
        if str(item.Value).lower() in ("true", "false"):
            return str(item.Value).lower() == "true"
    return True


class OnvifEvents(threading.Thread):
    """Pulls one camera's events until stopped; each allowed one is emitted."""

    def __init__(self, site: str, source: OnvifSource, location: str,
                 emit: Callable[[ev.Event], object]) -> None:
        super().__init__(name=f"onvif-{source.camera}", daemon=True)
        self.site, self.source, self.location, self.emit = site, source, location, emit
        self.dropped = 0
        self.received = 0
        self.subscribed = threading.Event()
        self._halt = threading.Event()

    def stop(self) -> None:
        """Unsubscribe and stop."""
        self._halt.set()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                asyncio.run(self._pull())
            except Exception as exc:  # camera away, SOAP fault: retry, the recorder goes on
                self.subscribed.clear()
                log.warning("ONVIF events unavailable; will retry", extra={
                    "camera": self.source.camera, "error": str(exc)[:200]})
            self._halt.wait(5.0)

    async def _pull(self) -> None:
        from onvif import ONVIFCamera

        src = self.source
        cam = ONVIFCamera(src.host, src.port, src.username, src.password)
        try:
            await cam.update_xaddrs()
            events = await cam.create_events_service()
            sub = await events.CreatePullPointSubscription(
                {"InitialTerminationTime": "PT60S"})
            cam.xaddrs[PULLPOINT] = sub.SubscriptionReference.Address._value_1
            manager = await cam.create_subscription_service("PullPointSubscription")
            pull = await cam.create_pullpoint_service()
            self.subscribed.set()
            renew_at = asyncio.get_running_loop().time() + RENEW_EVERY
            while not self._halt.is_set():
                reply = await pull.PullMessages({"Timeout": dt.timedelta(seconds=1),
                                                 "MessageLimit": 50})
                for message in reply.NotificationMessage or []:
                    self._one(message)
                if asyncio.get_running_loop().time() >= renew_at:
                    await manager.Renew("PT60S")
                    renew_at += RENEW_EVERY
            await manager.Unsubscribe()
        finally:
            await cam.close()

    def _one(self, message: Any) -> None:
        self.received += 1
        topic = str(getattr(message.Topic, "_value_1", message.Topic) or "").strip()
        name = classify(topic, self.source.analytics)
        if name is None:
            self.dropped += 1
            return
        active = _state(message)
        self.emit(ev.make("camera_tamper", self.site,
                          f"la caméra signale : {name}" + ("" if active else " (fin)"),
                          producer="camera", camera=self.source.camera,
                          location=self.location, active=active, onvif_topic=topic[:120]))
