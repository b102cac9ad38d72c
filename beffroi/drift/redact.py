"""Secrets never leave a drift audit in clear: neither the vaulted value nor a changed live one.

Vaulted values (known from the intent) are replaced wherever they appear. A live value that
changed is not known in advance, so every line is also read by its syntax: the value of a
secret-named setting (`PrivateKey = …`, `password = "…"`, `password: …`, JSON's
`"password": "…"`), the password of a
URL (`rtsp://user:…@host`), the word after an IOS/Junos secret keyword (`secret 5 …`,
`community …`, `encrypted-password …`) and NUT's `MONITOR` password are masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from beffroi.drift.report import DeviceDrift
from beffroi.secrets import REDACTED, mask

_SECRET_NAME = (r"[\w.-]*(?:password|passwd|secret|private_?key|preshared_?key|psk|token|"
                r"community|api_?key|credential)[\w.-]*")
# `name = value`, `name: value`, `name=value` (INI, TOML, YAML, wg, sshd), `"name": "value"`
# (JSON), value not a path
_ASSIGNMENT = re.compile(rf"(?i)(\b{_SECRET_NAME}\b[\"']?\s*[:=]\s*)(\"[^\"/][^\"]*\"|'[^'/][^']*'|"
                         r"[^\s\"'/][^\s,;]*)")
# names that look secret but hold none: sudoers tags (`NOPASSWD: ALL`)
_NOT_SECRETS = frozenset({"nopasswd", "passwd"})
# `rtsp://user:password@host`, URL-encoded or not
_URL_PASSWORD = re.compile(r"(://[^\s:/@]*:)([^\s@/]+)(@)")
# network OS syntax: `secret 5 $1$…`, `password 0 x`, `community PUBLIC`, `key-string x`
_KEYWORD = re.compile(r"(?i)(\b(?:secret|password|community|key-string|encrypted-password|"
                      r"plain-text-password-value|authentication-key|auth-password|"
                      r"priv-password)\s+(?:(?:\d{1,2}|md5|sha|aes|des)\s+)*)"
                      r"(\"[^\"]*\"|[^\s\"=:][^\s\"]*)")
# NUT upsmon: MONITOR system powervalue username password type
_NUT_MONITOR = re.compile(r"(?i)(\bMONITOR\s+\S+\s+\S+\s+\S+\s+)(\S+)")


def redact(text: str, vaulted: Iterable[str] = ()) -> str:
    """`text` with vaulted values and every syntactically secret value replaced."""
    text = mask(text, vaulted)
    text = _URL_PASSWORD.sub(rf"\1{REDACTED}\3", text)
    text = _NUT_MONITOR.sub(lambda m: m.group(1) + REDACTED, text)
    text = _ASSIGNMENT.sub(_assignment, text)
    return _KEYWORD.sub(lambda m: m.group(1) + _masked(m.group(2)), text)


def _assignment(m: re.Match[str]) -> str:
    name = m.group(1).rstrip(" \t:=\"'").lower()
    if name in _NOT_SECRETS:
        return m.group(0)
    return m.group(1) + _masked(m.group(2))


def _masked(value: str) -> str:
    if REDACTED in value or "%3Cvault%3E" in value:
        return value
    return f'"{REDACTED}"' if value[:1] in "\"'" else REDACTED


def redact_result(result: DeviceDrift, vaulted: Iterable[str] = ()) -> DeviceDrift:
    """The verdict with every printed field redacted (table, --diff and JSON read these)."""
    values = tuple(vaulted)
    result.detail = redact(result.detail, values)
    result.diff = redact(result.diff, values)
    result.unverifiable = [redact(u, values) for u in result.unverifiable]
    return result
