"""WS-Security UsernameToken (PasswordDigest), for the ONVIF calls made without a WSDL."""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime

WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
           "#PasswordDigest")


def security_header(username: str, password: str, clock_offset: float = 0.0) -> str:
    """The <wsse:Security> header: digest = base64(sha1(nonce + created + password)).
    `clock_offset`: the camera's clock minus ours, in seconds (a token dated by our clock
    would be refused by a camera whose clock is off)."""
    nonce = os.urandom(16)
    created = datetime.fromtimestamp(datetime.now(UTC).timestamp() + clock_offset, UTC
                                     ).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode())
                              .digest()).decode()
    return (f'<wsse:Security xmlns:wsse="{WSSE}" xmlns:wsu="{WSU}"><wsse:UsernameToken>'
            f"<wsse:Username>{_xml(username)}</wsse:Username>"
            f'<wsse:Password Type="{_DIGEST}">{digest}</wsse:Password>'
            f"<wsse:Nonce>{base64.b64encode(nonce).decode()}</wsse:Nonce>"
            f"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>")


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
