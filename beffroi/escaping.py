"""One escaping filter per target syntax: templates interpolate data, never directives.

Every `{{ … }}` of a template in `templates/` and `roles/*/templates/` ends with one of the
filters below (`tests/render/test_template_escaping.py` checks it). Each filter either writes the
value so that the target parser reads it back as one literal of the right kind, or raises
`UnsafeValue` for a value that syntax cannot carry (a line break in a line-based format, a quote
in a format without escapes, a space where one word is expected). The model already refuses
control characters in inventory text (`beffroi.model.base`); these filters are the wall at the
syntax, so role variables, vault values and future fields are covered too.

TOML and YAML are not escaped but serialized (`to_toml`, `to_yaml`); HTML dossiers use Jinja2's
autoescape (`beffroi.dossiers.render`), and `html` is the same escaping for an explicit call.
The same functions are Ansible filters (`plugins/filter/beffroi_escape.py`), so the renderer and
the roles write identical bytes.
"""

from __future__ import annotations

import datetime
import ipaddress
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import markupsafe
import yaml

from beffroi.model.base import forbidden_character


class UnsafeValue(ValueError):
    """A value the target syntax cannot carry as data."""


def _text(value: Any, syntax: str) -> str:
    """The value as one line of visible text, or UnsafeValue."""
    if isinstance(value, bool) or value is None or isinstance(value, Mapping | list | tuple):
        raise UnsafeValue(f"{syntax}: expected text or a number, got {type(value).__name__}")
    text = str(value)
    found = forbidden_character(text)
    if found is not None:
        raise UnsafeValue(f"{syntax}: {found} in {text[:40]!r} would end the line and start "
                          "a new directive")
    return text


def _backslash_quoted(value: Any, syntax: str) -> str:
    """A double-quoted string where backslash escapes `\\` and `"` (Junos, NUT)."""
    text = _text(value, syntax)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _word(value: Any, syntax: str, also_forbidden: str = "") -> str:
    """One token: no whitespace (it would start the next argument), no syntax characters."""
    text = _text(value, syntax)
    if not text or any(c.isspace() for c in text):
        raise UnsafeValue(f"{syntax}: {text!r} must be one word (no spaces) and not empty")
    bad = sorted({c for c in text if c in also_forbidden})
    if bad:
        raise UnsafeValue(f"{syntax}: {text!r} holds {''.join(bad)!r}, which is syntax there")
    return text


def _comment(syntax: str) -> Callable[[Any], str]:
    """Text on a comment line: anything visible, nothing that ends the line."""
    def comment(value: Any) -> str:
        return _text(value, f"{syntax} comment")
    comment.__doc__ = f"Text inside a {syntax} comment line (line breaks refused)."
    return comment


# --- chrony: whitespace-separated words, no quoting at all ----------------------------------

def chrony_word(value: Any) -> str:
    """One chrony argument (address, host name, number); chrony has no quoting."""
    return _word(value, "chrony", "#!;%\"'")


# --- Cisco IOS: a command per line; `?` asks the CLI for help when the config is pasted ------

def ios_word(value: Any) -> str:
    """One IOS argument (interface name, VLAN id, address)."""
    return _word(value, "IOS", "?!\"")


def ios_text(value: Any) -> str:
    """Rest-of-line IOS text (`description …`, at most 240 characters)."""
    text = _text(value, "IOS")
    if "?" in text or len(text) > 240:
        raise UnsafeValue(f"IOS: {text[:40]!r} holds '?' or exceeds 240 characters")
    return text


# --- Junos `set` format: words, or double-quoted strings with backslash escapes -------------

def junos_word(value: Any) -> str:
    """One Junos token (name, number, address)."""
    return _word(value, "Junos", "\"'\\;{}#")


def junos_string(value: Any) -> str:
    """A Junos double-quoted string, quotes included."""
    return _backslash_quoted(value, "Junos")


# --- HPE ProCurve / ArubaOS-Switch: double-quoted strings have no escape ---------------------

def procurve_word(value: Any) -> str:
    """One ProCurve token."""
    return _word(value, "ProCurve", "\"'")


def procurve_string(value: Any) -> str:
    """A ProCurve double-quoted string, quotes included (a `"` inside is refused)."""
    text = _text(value, "ProCurve")
    if '"' in text:
        raise UnsafeValue(f"ProCurve: {text[:40]!r} holds a double quote, which has no escape")
    return f'"{text}"'


# --- nftables: quoted strings without escapes, comments at most 128 bytes ---------------------

NFT_COMMENT_MAX = 128  # bytes, NFT_USERDATA_MAXLEN for rule comments


def nft_word(value: Any) -> str:
    """One nft token (port number, protocol, interface name used unquoted)."""
    return _word(value, "nftables", "\"'#;{}$@\\")


def nft_string(value: Any) -> str:
    """A double-quoted nft string (comment, interface name), quotes included."""
    text = _text(value, "nftables")
    if '"' in text or "\\" in text:
        raise UnsafeValue(f"nftables: {text[:40]!r} holds a quote or a backslash, which nft "
                          "strings cannot escape")
    if len(text.encode("utf-8")) > NFT_COMMENT_MAX:
        raise UnsafeValue(f"nftables: {text[:40]!r}… exceeds {NFT_COMMENT_MAX} bytes")
    return f'"{text}"'


def nft_addr(value: Any) -> str:
    """An address, a network, or `{ a, b }` for several (comma-separated or a list)."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    parsed = []
    for item in items:
        text = _text(item, "nftables").strip()
        try:
            parsed.append(str(ipaddress.ip_network(text)) if "/" in text
                          else str(ipaddress.ip_address(text)))
        except ValueError:
            raise UnsafeValue(f"nftables: {text!r} is not an address or a network") from None
    if not parsed:
        raise UnsafeValue("nftables: an empty address set")
    return parsed[0] if len(parsed) == 1 else "{ " + ", ".join(parsed) + " }"


def nft_ports(value: Any) -> str:
    """A port or `{ p1, p2 }` from a list of port numbers."""
    items = value if isinstance(value, list | tuple) else [value]
    ports = []
    for item in items:
        if isinstance(item, bool) or not str(item).isdigit() or not 0 < int(item) < 65536:
            raise UnsafeValue(f"nftables: {item!r} is not a port number")
        ports.append(str(int(item)))
    if not ports:
        raise UnsafeValue("nftables: an empty port set")
    return ports[0] if len(ports) == 1 else "{ " + ", ".join(ports) + " }"


# --- WireGuard (wg / wg-quick INI): `Key = value`, `#` starts a comment ----------------------

def wg_value(value: Any) -> str:
    """A WireGuard value (key, endpoint, address list); `#` would cut it short."""
    text = _text(value, "WireGuard")
    if "#" in text or not text.strip():
        raise UnsafeValue(f"WireGuard: {text[:40]!r} is empty or holds '#'")
    return text


# --- systemd unit files: `%` is a specifier, a trailing `\` continues the line -----------------

def systemd_value(value: Any) -> str:
    """A unit-file value: specifiers escaped (`%` → `%%`), no line continuation."""
    text = _text(value, "systemd")
    if text.endswith("\\"):
        raise UnsafeValue(f"systemd: {text[:40]!r} ends with a backslash (line continuation)")
    return text.replace("%", "%%")


def systemd_word(value: Any) -> str:
    """One unit-file word (a path in a space-separated list, a user name)."""
    return systemd_value(_word(value, "systemd", "\"'\\;"))


# --- apt.conf: `Key "value";`, a value has no escape for `"` and `;` `{` `}` are syntax -----

def apt_word(value: Any) -> str:
    """One word inside an apt.conf double-quoted value."""
    return _word(value, "apt.conf", "\"';{}")


# --- sudoers: `%group host=(runas) command`; `,` `:` `=` `(` `!` `%` `#` are syntax ---------

def sudoers_word(value: Any) -> str:
    """A user or group name in a sudoers rule (names only: no sudoers syntax, no quoting)."""
    text = _word(value, "sudoers")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", text):
        raise UnsafeValue(f"sudoers: {text!r} is not a plain account or group name (letters, "
                          "digits, '_', '.', '-'), and sudoers would read the rest as syntax")
    return text


# --- OpenSSH sshd_config: `Keyword argument`, `#` starts a comment -----------------------------

def sshd_word(value: Any) -> str:
    """One sshd_config argument."""
    return _word(value, "sshd_config", "#\"'\\")


# --- NUT (ups.conf, upsd.users, upsmon.conf): words, or "quoted" with backslash escapes ---------

def nut_string(value: Any) -> str:
    """A NUT double-quoted string, quotes included."""
    return _backslash_quoted(value, "NUT")


def nut_word(value: Any) -> str:
    """One NUT token (driver, user name)."""
    return _word(value, "NUT", "\"'\\#=")


# --- TOML and YAML: serialized, never templated ----------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+\Z")  # \Z: "$" would accept a trailing "\n"
_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n",
                 "\f": "\\f", "\r": "\\r"}


def _toml_string(text: str) -> str:
    out = []
    for char in text:
        if char in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[char])
        elif 0xD800 <= ord(char) <= 0xDFFF:
            raise UnsafeValue(f"TOML: a lone surrogate U+{ord(char):04X} is not text")
        elif forbidden_character(char) is not None:
            out.append(f"\\u{ord(char):04X}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_key(key: Any) -> str:
    text = str(key)
    return text if _BARE_KEY.match(text) else _toml_string(text)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
                if math.isinf(value) else repr(value))
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, datetime.date):
        return value.isoformat()  # TOML local date / date-time
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}"
                               for k, v in value.items()) + "}"
    raise UnsafeValue(f"TOML: cannot write a {type(value).__name__}")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list | tuple) and bool(value) and all(
        isinstance(v, Mapping) for v in value)


def _toml_table(table: Mapping[str, Any], path: Sequence[str], out: list[str]) -> None:
    """Scalars of `table` as `key = value`, then its sub-tables and arrays of tables."""
    for key, value in table.items():
        if value is None:
            continue  # TOML has no null: an absent key is the only spelling
        if not isinstance(value, Mapping) and not _is_table_array(value):
            out.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in table.items():
        name = [*path, _toml_key(key)]
        if isinstance(value, Mapping):
            out += ["", f"[{'.'.join(name)}]"]
            _toml_table(value, name, out)
        elif _is_table_array(value):
            for item in value:
                out += ["", f"[[{'.'.join(name)}]]"]
                _toml_table(item, name, out)


def _plain(data: Any) -> Any:
    """Builtin types only (Ansible hands filters str/dict/list subclasses carrying tags)."""
    if isinstance(data, Mapping):
        return {str(k): _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    for kind in (bool, int, float, str):
        if isinstance(data, kind):
            return kind(data)
    if data is None or isinstance(data, datetime.date):
        return data
    raise UnsafeValue(f"cannot serialize a {type(data).__name__}")


def to_toml(data: Mapping[str, Any]) -> str:
    """A TOML document of `data` (tables, arrays of tables, scalars, inline lists)."""
    if not isinstance(data, Mapping):
        raise UnsafeValue(f"TOML: the document must be a mapping, got {type(data).__name__}")
    out: list[str] = []
    _toml_table(_plain(data), [], out)
    return "\n".join(out).lstrip("\n") + "\n"


class _YamlDumper(yaml.SafeDumper):
    """Safe dumper whose block sequences are indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _invisible(data: Any) -> bool:
    """True when some string of `data` holds a control, format or line-separator character."""
    if isinstance(data, dict):
        return any(_invisible(k) or _invisible(v) for k, v in data.items())
    if isinstance(data, list):
        return any(_invisible(v) for v in data)
    return isinstance(data, str) and forbidden_character(data) is not None


def to_yaml(data: Any) -> str:
    """A YAML block document of `data` (safe types only), key order kept.

    Readable UTF-8 normally; ASCII with escapes when a string holds an invisible character
    (PyYAML writes NEL or U+2028 raw in Unicode mode, and a reader folds them into spaces).
    """
    plain = _plain(data)
    return yaml.dump(plain, Dumper=_YamlDumper, allow_unicode=not _invisible(plain),
                     sort_keys=False, default_flow_style=False, width=100)


def to_json(data: Any) -> str:
    """A JSON document of `data` (safe types only), UTF-8, key order kept."""
    import json

    return json.dumps(_plain(data), ensure_ascii=False, indent=2) + "\n"


_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]{1,40})-----\n(?:[A-Za-z0-9+/=]{1,76}\n)+"
                  r"-----END \1-----")


def pem(value: Any) -> str:
    """One PEM block (certificate or key), nothing before or after it; the redacted
    placeholder passes (a render without the vault)."""
    from beffroi.secrets import REDACTED

    text = str(value).strip()
    if text == REDACTED or _PEM.fullmatch(text):
        return text
    raise UnsafeValue("PEM: not one well-formed PEM block")


def html(value: Any) -> str:
    """HTML text or attribute value (what the dossiers' autoescape does)."""
    return str(markupsafe.escape(_text(value, "HTML")))


FILTERS: dict[str, Callable[..., str]] = {
    "chrony_word": chrony_word, "chrony_comment": _comment("chrony"),
    "ios_word": ios_word, "ios_text": ios_text, "ios_comment": _comment("IOS"),
    "junos_word": junos_word, "junos_string": junos_string, "junos_comment": _comment("Junos"),
    "procurve_word": procurve_word, "procurve_string": procurve_string,
    "procurve_comment": _comment("ProCurve"),
    "nft_word": nft_word, "nft_string": nft_string, "nft_addr": nft_addr,
    "nft_ports": nft_ports, "nft_comment": _comment("nftables"),
    "wg_value": wg_value, "wg_comment": _comment("WireGuard"),
    "systemd_value": systemd_value, "systemd_word": systemd_word,
    "systemd_comment": _comment("systemd"),
    "sshd_word": sshd_word, "sshd_comment": _comment("sshd_config"),
    "apt_word": apt_word, "sudoers_word": sudoers_word,
    "nut_word": nut_word, "nut_string": nut_string, "nut_comment": _comment("NUT"),
    "to_toml": to_toml, "toml_comment": _comment("TOML"),
    "to_yaml": to_yaml, "yaml_comment": _comment("YAML"), "to_json": to_json,
    "pem": pem,
    "html": html,
}
