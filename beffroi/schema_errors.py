"""Pydantic validation errors turned into findings with a line, a field path and a hint."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from beffroi.compliance import RULES, citation
from beffroi.findings import Finding
from beffroi.model.base import TEXT_ERROR
from beffroi.yamlsource import Source, dotted
from recorder import legal

_RETENTION = f"{legal.RETENTION_MIN_DAYS}..{legal.RETENTION_MAX_DAYS}"  # RET-1, recorder/legal.py


def _model_at(model: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that owns the last element of `loc` (for "did you mean")."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _unwrap(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """The BaseModel inside list[...] / X | None annotations, if any."""
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        for inner in typing.get_args(arg):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
    return annotation


def _real_loc(loc: tuple[Any, ...], data: Any) -> tuple[str | int, ...]:
    """`loc` without pydantic's union-member tags ("function-after[...]"), keeping real keys.

    A key of the document is kept even when it contains brackets: `x[0]: 1` is a typo that
    must be reported under its own name (dropping it left an empty loc and an IndexError).
    """
    out: list[str | int] = []
    node = data
    for part in loc:
        is_key = isinstance(node, dict) and part in node
        is_item = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if is_key or is_item:
            node = node[part]
        elif isinstance(part, str) and "[" in part:
            continue  # a tag pydantic inserted, not a key of the file
        else:
            node = None
        if isinstance(part, str | int):
            out.append(part)
    return tuple(out)


# Fields whose values a rule of compliance.md judges: a schema error there (wrong type, value
# outside the allowed list, missing) is reported under that rule with its citation, so a typo
# cannot turn a legal refusal into a mere "type error". "*" is any list index, "?" any key.
FieldRule = tuple[tuple[str, ...], str, str]
_LEGAL_SITE: tuple[FieldRule, ...] = (
    (("controller", "kind"), "AUTH-4", "the controller is the commune (or its EPCI)"),
    (("authorization", "arrete_ref"), "AUTH-1", "copy the arrêté's reference (text)"),
    (("authorization", "issued"), "AUTH-1", "the arrêté's date, YYYY-MM-DD"),
    (("authorization", "expires"), "AUTH-2", "the expiry date, YYYY-MM-DD (≤ issued + 5 years)"),
    (("authorization", "purposes"), "AUTH-3",
     "a list of {code: 1..11 (item of CSI L251-2), label, regime}"),
    (("authorization", "purposes", "*"), "AUTH-3",
     "each purpose is {code: 1..11 (item of CSI L251-2), label, regime}, not a text"),
    (("authorization", "purposes", "*", "code"), "AUTH-3",
     "use an item number of CSI L251-2 (1 to 11)"),
    (("authorization", "purposes", "*", "label"), "AUTH-3", "the item's wording in L251-2"),
    (("authorization", "purposes", "*", "regime"), "AUTH-5",
     "regime is directive_2016_680 (crime prevention) or rgpd (risks, rescue)"),
    (("authorization", "retention_days"), "RET-1", f"a whole number of days, {_RETENTION}"),
    (("authorization", "max_retention_days"), "RET-1", "the arrêté's maximum, in days"),
    (("authorization", "min_retention_days"), "RET-1", "the arrêté's minimum, in days"),
    (("authorization", "commissioning_notice_sent"), "REG-2", "the notice's date, YYYY-MM-DD"),
    (("authorization", "recipients"), "ACC-3", "a list of {service, kind, live_only}"),
    (("authorization", "recipients", "*"), "ACC-3",
     "each recipient is {service, kind, live_only}, not a text"),
    (("authorization", "recipients", "*", "service"), "ACC-3", "the service's name"),
    (("authorization", "recipients", "*", "kind"), "ACC-3",
     "kind is one of sdis, police_nationale, gendarmerie, douanes, police_municipale, "
     "or other with a legal_basis"),
    (("authorization", "recipients", "*", "retention_days"), "ACC-3",
     f"days, 0..{legal.RECIPIENT_MAX_DAYS}"),
    (("authorization", "recipients", "*", "live_only"), "ACC-4", "live_only: true"),
    (("authorization", "recipients", "*", "legal_basis"), "ACC-3",
     "cite the text: {text: code_securite_interieure|…|loi|decret|arrete, article: L252-3, "
     "number (loi/décret/arrêté), acknowledged_by, acknowledged_on}"),
    (("authorization", "recipients", "*", "legal_basis", "text"), "ACC-3",
     "text is a code (code_securite_interieure, code_procedure_penale, …) or loi/decret/arrete"),
    (("authorization", "recipients", "*", "legal_basis", "article"), "ACC-3",
     "an article number such as L252-3, R253-3 or 10"),
    (("authorization", "recipients", "*", "legal_basis", "number"), "ACC-3",
     "the loi / décret / arrêté number, e.g. 2023-1102"),
    (("authorization", "recipients", "*", "legal_basis", "acknowledged_by"), "ACC-3",
     "the name of the person who reviewed the legal basis"),
    (("authorization", "recipients", "*", "legal_basis", "acknowledged_on"), "ACC-3",
     "the review date, YYYY-MM-DD"),
    (("habilitations",), "ACC-1", "a list of named persons {id, name, role, rights}"),
    (("habilitations", "*"), "ACC-1", "each habilitation is {id, name, role, rights}"),
    (("habilitations", "*", "id"), "ACC-1", "the person's own id, e.g. jdupont"),
    (("habilitations", "*", "name"), "ACC-1", "the person's first name and surname"),
    (("habilitations", "*", "email"), "ACC-1", "the person's e-mail"),
    (("habilitations", "*", "role"), "ACC-2", "role is maire, adjoint, live or admin"),
    (("habilitations", "*", "rights"), "ACC-2", "rights among live, playback, export"),
    (("habilitations", "*", "rights", "*"), "ACC-2", "rights among live, playback, export"),
    (("habilitations", "*", "delegation"), "ACC-2", "the arrêté of delegated police powers"),
    (("habilitations", "*", "service"), "ACC-3", "a recipient service of the authorization"),
    (("cameras", "*", "role"), "CAM-1", "role is narrow (plan étroit) or context"),
    (("cameras", "*", "public_highway"), "AUTH-4", "true or false"),
    (("cameras", "*", "purposes"), "AUTH-3", "a list of purpose codes, e.g. [1, 5]"),
    (("cameras", "*", "purposes", "*"), "AUTH-3", "a purpose code of authorization.purposes"),
    (("cameras", "*", "location"), "CAM-4", "the location text shown with the video"),
    (("cameras", "*", "recording", "fps"), "CAM-3", "frames per second, ≥ 12 narrow, ≥ 6"),
    (("cameras", "*", "capture_fps"), "CAM-3", "the sensor's real frame rate"),
    (("cameras", "*", "recording", "bitrate_kbps"), "CAM-8", "kbit/s, ≥ 64"),
    (("cameras", "*", "audio"), "CAM-6", "audio: false — no sound is recorded"),
    (("cameras", "*", "analytics"), "CAM-6",
     "a list of allowed functions; [] for none (no biometric or behavioural analytics)"),
    (("cameras", "*", "analytics", "*"), "CAM-6",
     "only image-health functions are allowed (scene_change, image_too_blurry, image_too_dark, "
     "image_too_bright, signal_loss): no face, plate, person, motion, behaviour or sound "
     "analytics"),
    (("cameras", "*", "night_mode"), "CAM-7", "night_mode is ir, low_light, site_lighting"),
    (("cameras", "*", "private_zones"), "CAM-5", "a list of {id, description, area}"),
    (("cameras", "*", "private_zones", "*"), "CAM-5", "{id, description, area: {x, y, w, h}}"),
    (("cameras", "*", "private_zones", "*", "area"), "CAM-5", "x, y, w, h inside 0..1"),
    (("cameras", "*", "private_zones", "*", "area", "?"), "CAM-5", "a number inside 0..1"),
    (("cameras", "*", "privacy_masks"), "CAM-5", "a list of {id, area}"),
    (("cameras", "*", "privacy_masks", "*"), "CAM-5", "{id, area: {x, y, w, h}}"),
    (("cameras", "*", "privacy_masks", "*", "area"), "CAM-5", "x, y, w, h inside 0..1"),
    (("cameras", "*", "privacy_masks", "*", "area", "?"), "CAM-5", "a number inside 0..1"),
    (("network", "link", "kind"), "NET-4", "kind is fibre, copper or wireless"),
    (("network", "link", "encryption"), "NET-4", "wpa3, wpa2-aes, wpa2-ccmp, wireguard, macsec"),
    (("network", "link", "capacity_mbps"), "CAM-8", "the link's capacity in Mbit/s"),
    (("nvr", "storage", "capacity_gb"), "CAM-9", "usable storage in GB"),
    (("firewall", "vpn_kind"), "NET-2", "vpn_kind: wireguard"),
    (("firewall", "wan_open_ports"), "NET-2", "[] — only WireGuard crosses the WAN"),
    (("firewall", "wan_open_ports", "*"), "NET-2", "a port number"),
    (("ntp_servers",), "TIME-1", "a list of ≥ 2 NTP server addresses"),
    (("ntp_servers", "*"), "TIME-1", "an NTP server's IPv4 address"),
)
_LEGAL_DEPARTMENT: tuple[FieldRule, ...] = (
    (("department", "timezone"), "ENG-TIMEZONE", "an IANA time zone such as Europe/Paris"),
    (("time", "ntp_servers"), "TIME-1", "a list of ≥ 2 NTP server addresses"),
    (("time", "ntp_servers", "*"), "TIME-1", "an NTP server's IPv4 address"),
    (("defaults", "retention_days"), "RET-1",
     f"{_RETENTION} days: the law caps retention at one month"),
    (("defaults", "journal_retention_days"), "JRN-2",
     f"{legal.JOURNAL_MIN_DAYS}..{legal.JOURNAL_MAX_DAYS} days "
     f"(default {legal.JOURNAL_DEFAULT_DAYS})"),
    (("defaults", "admins", "*", "ssh_public_keys"), "ENG-SSH-KEY",
     "a list of OpenSSH public key lines (the .pub file)"),
    (("defaults", "admins", "*", "ssh_public_keys", "*"), "ENG-SSH-KEY",
     "one OpenSSH public key line (`ssh-ed25519 AAAA… comment`, the .pub file), never a "
     "private key"),
    (("defaults", "admin_networks", "*"), "ENG-ADMIN-NET", "a private IPv4 network (CIDR)"),
)
_LEGAL_CRISIS_CELL: tuple[FieldRule, ...] = ()
LEGAL_FIELDS: dict[str, tuple[FieldRule, ...]] = {
    "Site": _LEGAL_SITE, "Department": _LEGAL_DEPARTMENT, "CrisisCell": _LEGAL_CRISIS_CELL}


def legal_rule(model: str, loc: tuple[str | int, ...]) -> tuple[str, str] | None:
    """(rule id, hint) of the legal field at `loc` of `model`, or None for a plain field."""
    for pattern, rule, hint in LEGAL_FIELDS.get(model, ()):
        if len(pattern) == len(loc) and all(
                (want == "*" and isinstance(got, int)) or want in ("?", got)
                for want, got in zip(pattern, loc, strict=True)):
            return rule, hint
    return None


def _shown(value: Any) -> str:
    """A value as a finding shows it: repr (escapes controls), at most 60 characters."""
    shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
    return shown[:60] + ("…" if len(shown) > 60 else "")


def findings_from_validation(exc: ValidationError, model: type[BaseModel], source: Source
                             ) -> Iterable[Finding]:
    """One finding per pydantic error, located in the YAML source."""
    for err in exc.errors(include_url=False):
        loc = _real_loc(err["loc"], source.data)
        kind = err["type"]
        line = source.line_of(loc)
        path = dotted(loc)
        name = loc[-1] if loc else ""
        if kind == "extra_forbidden":
            owner = _model_at(model, loc)
            known = sorted(owner.model_fields) if owner else []
            close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
            hint = (f"did you mean '{close[0]}'?" if close
                    else f"allowed keys here: {', '.join(known)}" if known else "remove it")
            yield Finding(source.file, line, "ENG-UNKNOWN-KEY", path,
                          f"unknown key '{name}'", citation=citation("ENG-UNKNOWN-KEY"),
                          hint=hint)
            continue
        rule, hint = legal_rule(model.__name__, loc) or ("ENG-SCHEMA", "")
        # A legal field says which rule it serves ("No sound; no biometric … analytics: …").
        law = f"{RULES[rule].title}: " if rule != "ENG-SCHEMA" else ""
        if kind == "missing":
            yield Finding(source.file, line, rule, path,
                          f"{law}required field '{name}' is missing", citation=citation(rule),
                          hint=hint or "add it (see `beffroi schema` for the site-file shape)")
        elif kind == TEXT_ERROR:
            yield Finding(source.file, line, "ENG-TEXT", path, f"{err['msg']} (got "
                          f"{_shown(err.get('input'))})", citation=citation("ENG-TEXT"),
                          hint="write the value on one line with visible characters only: a "
                               "line break or an invisible character would become a directive "
                               "in the rendered configuration")
        elif kind == "string_too_long":
            limit = (err.get("ctx") or {}).get("max_length")
            yield Finding(source.file, line, "ENG-TEXT", path,
                          f"{err['msg']} (got {len(str(err.get('input')))} characters)",
                          citation=citation("ENG-TEXT"),
                          hint=f"shorten it to at most {limit} characters")
        else:
            got = err.get("input")
            shown = repr(got) if not isinstance(got, dict | list) else type(got).__name__
            yield Finding(source.file, line, rule, path,
                          f"{law}{err['msg']} (got {shown[:60]})", citation=citation(rule),
                          hint=hint or "fix the value's type or format")
