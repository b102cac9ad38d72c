"""TEST CODE, not the vendor's: an ONVIF Events service (PullPoint) added to ipycam 1.3.0.

ipycam has no Events service at all (PEERS.md). To exercise the recorder's PullPoint client
(recorder/events/onvif.py, onvif-zeep-async) against a camera simulator, this module adds what
a real camera's firmware does, on top of the setters of tests/network/onvif_sim_ext.py:
GetServices advertises the events service; CreatePullPointSubscription returns a subscription
address; PullMessages waits (up to its Timeout, capped at 1 s) for notifications; Renew and
Unsubscribe answer. Notifications are queued by the test through the process's stdin, one per
line: `TOPIC STATE` (e.g. `tns1:VideoSource/GlobalSceneChange/ImagingService true`).
Parsing is by regular expressions: enough for what onvif-zeep-async sends.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "network"))  # the setters, server
import onvif_sim_ext
from ipycam.onvif import ONVIFService

NOTIFICATIONS: queue.Queue[tuple[str, str]] = queue.Queue()
SUBSCRIPTIONS: dict[str, float] = {}
EV = ('xmlns:tev="http://www.onvif.org/ver10/events/wsdl" '
      'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" '
      'xmlns:wsa5="http://www.w3.org/2005/08/addressing" '
      'xmlns:tns1="http://www.onvif.org/ver10/topics" '
      'xmlns:tt="http://www.onvif.org/ver10/schema"')
_previous_handle = None
_previous_services = None


def _now(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def _base(self: ONVIFService) -> str:
    return f"http://{self.config.local_ip}:{self.config.onvif_port}"


def get_services(self: ONVIFService) -> str:
    """Also advertise the Events service."""
    assert _previous_services is not None
    out = str(_previous_services(self))
    events = ("<tds:Service><tds:Namespace>http://www.onvif.org/ver10/events/wsdl"
              f"</tds:Namespace><tds:XAddr>{_base(self)}/onvif/events_service</tds:XAddr>"
              "<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version>"
              "</tds:Service>")
    return out.replace("</tds:GetServicesResponse>", events + "</tds:GetServicesResponse>")


def _message(topic: str, state: str) -> str:
    return ("<wsnt:NotificationMessage><wsnt:Topic "
            'Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">'
            f"{escape(topic)}</wsnt:Topic><wsnt:Message>"
            f'<tt:Message UtcTime="{_now()}" PropertyOperation="Changed"><tt:Source>'
            '<tt:SimpleItem Name="VideoSourceConfigurationToken" Value="VSC_1"/></tt:Source>'
            f'<tt:Data><tt:SimpleItem Name="State" Value="{escape(state)}"/></tt:Data>'
            "</tt:Message></wsnt:Message></wsnt:NotificationMessage>")


def handle_action(self: ONVIFService, action: str, body: str) -> str | None:
    """The Events operations; everything else goes to the setters extension and ipycam."""
    op = onvif_sim_ext._op(body) or action.rsplit("/", 1)[-1]

    def env(inner: str) -> str:
        return str(self._wrap_envelope(inner))

    if op == "CreatePullPointSubscription":
        sid = str(len(SUBSCRIPTIONS) + 1)
        SUBSCRIPTIONS[sid] = time.time() + 60
        return env(f"<tev:CreatePullPointSubscriptionResponse {EV}><tev:SubscriptionReference>"
                   f"<wsa5:Address>{_base(self)}/onvif/pullpoint/{sid}</wsa5:Address>"
                   f"</tev:SubscriptionReference><wsnt:CurrentTime>{_now()}</wsnt:CurrentTime>"
                   f"<wsnt:TerminationTime>{_now(60)}</wsnt:TerminationTime>"
                   "</tev:CreatePullPointSubscriptionResponse>")
    if op == "PullMessages":
        messages = []
        try:
            messages.append(_message(*NOTIFICATIONS.get(timeout=1.0)))
            while True:
                messages.append(_message(*NOTIFICATIONS.get_nowait()))
        except queue.Empty:
            pass
        return env(f"<tev:PullMessagesResponse {EV}><tev:CurrentTime>{_now()}</tev:CurrentTime>"
                   f"<tev:TerminationTime>{_now(60)}</tev:TerminationTime>"
                   f"{''.join(messages)}</tev:PullMessagesResponse>")
    if op == "Renew":
        return env(f"<wsnt:RenewResponse {EV}><wsnt:TerminationTime>{_now(60)}"
                   f"</wsnt:TerminationTime><wsnt:CurrentTime>{_now()}</wsnt:CurrentTime>"
                   "</wsnt:RenewResponse>")
    if op == "Unsubscribe":
        return env(f"<wsnt:UnsubscribeResponse {EV}/>")
    if op == "SetSynchronizationPoint":
        return env(f"<tev:SetSynchronizationPointResponse {EV}/>")
    assert _previous_handle is not None
    result: str | None = _previous_handle(self, action, body)
    return result


def _read_stdin() -> None:
    for line in sys.stdin:
        parts = line.split()
        if len(parts) == 2:
            NOTIFICATIONS.put((parts[0], parts[1]))


def install() -> None:
    """Patch after onvif_sim_ext.install() (its setters stay), and read notifications."""
    global _previous_handle, _previous_services
    _previous_handle = ONVIFService.handle_action
    _previous_services = ONVIFService.get_services
    ONVIFService.handle_action = handle_action  # type: ignore[method-assign]
    ONVIFService.get_services = get_services  # type: ignore[method-assign]
    threading.Thread(target=_read_stdin, daemon=True).start()


def main(argv: list[str]) -> Any:
    """Start the camera of tests/network/onvif_camera_server.py with events added."""
    import onvif_camera_server

    setters = onvif_sim_ext.install

    def both() -> None:
        setters()
        install()

    onvif_sim_ext.install = both  # type: ignore[assignment]
    return onvif_camera_server.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
