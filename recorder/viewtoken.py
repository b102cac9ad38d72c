"""Live-view tokens: the crisis-cell wall vouches for the person watching (ACC-3, JRN-1).

The wall signs, with its own Ed25519 key, a short-lived token naming the logged-in person, their
service, the commune and the cameras they may watch there; the commune's relay verifies it with
the wall's public key (recorder.toml `[relay] wall_public_key`) and journals the view under the
person's id. Format: `bw1.<base64url(JSON claims)>.<base64url(signature of "bw1." + claims)>`.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

PREFIX = "bw1."
TTL_SECONDS = 30.0     # long enough to open the RTSP session, too short to be worth stealing
MAX_TTL_SECONDS = 300.0
SKEW_SECONDS = 30.0    # TIME-1 keeps both clocks within this
MAX_TOKEN_LENGTH = 4096


class TokenError(Exception):
    """A token that does not designate a person allowed here (the reason, with the rule id)."""


@dataclass(frozen=True)
class Grant:
    """What a valid token allows: one person, one commune, a camera list, until `exp`."""

    person: str
    name: str
    service: str
    site: str
    cameras: tuple[str, ...]
    exp: float
    jti: str

    def may_see(self, camera: str) -> bool:
        """True when the token's camera list covers this camera."""
        return "*" in self.cameras or camera in self.cameras


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The raw public key, base64 (what recorder.toml and crisis-cell.yml hold)."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_public_b64(text: str) -> Ed25519PublicKey:
    """Parse a base64 raw Ed25519 public key; ValueError when it is not one."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def mint(key: Ed25519PrivateKey, *, person: str, name: str, service: str, site: str,
         cameras: list[str] | tuple[str, ...], ttl: float = TTL_SECONDS,
         now: float | None = None) -> str:
    """A signed token for one person's live view of `site`'s `cameras`."""
    issued = time.time() if now is None else now
    claims = {"sub": person, "name": name, "svc": service, "site": site,
              "cams": list(cameras), "iat": int(issued), "exp": issued + min(ttl, MAX_TTL_SECONDS),
              "jti": secrets.token_urlsafe(12)}
    body = _b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    return f"{PREFIX}{body}.{_b64(key.sign((PREFIX + body).encode()))}"


def verify(public: Ed25519PublicKey, token: str, site: str, now: float | None = None) -> Grant:
    """The grant of a token for this commune; TokenError naming why it is refused."""
    if len(token) > MAX_TOKEN_LENGTH or not token.startswith(PREFIX):
        raise TokenError("[ACC-3] not a wall token")
    body, dot, sig = token[len(PREFIX):].partition(".")
    if not dot:
        raise TokenError("[ACC-3] malformed wall token")
    try:
        public.verify(_unb64(sig), (PREFIX + body).encode())
        claims = json.loads(_unb64(body))
    except (InvalidSignature, binascii.Error, ValueError):
        raise TokenError("[ACC-3] wall token signature invalid (not signed by this crisis "
                         "cell's wall key)") from None
    try:
        grant = Grant(person=str(claims["sub"]), name=str(claims["name"]),
                      service=str(claims["svc"]), site=str(claims["site"]),
                      cameras=tuple(str(c) for c in claims["cams"]), exp=float(claims["exp"]),
                      jti=str(claims["jti"]))
        issued = float(claims["iat"])
    except (KeyError, TypeError, ValueError):
        raise TokenError("[ACC-3] wall token lacks a claim") from None
    at = time.time() if now is None else now
    if grant.site != site:
        raise TokenError(f"[ACC-3] token for commune {grant.site!r}, this is {site!r}")
    if at > grant.exp + SKEW_SECONDS:
        raise TokenError("[ACC-3] wall token expired")
    if issued > at + SKEW_SECONDS or grant.exp - issued > MAX_TTL_SECONDS + 1:
        raise TokenError("[ACC-3] wall token not yet valid or too long-lived (TIME-1?)")
    return grant
