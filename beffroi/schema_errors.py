"""Pydantic validation errors turned into findings with a line, a field path and a hint."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ValidationError

from beffroi.compliance import citation
from beffroi.findings import Finding
from beffroi.model.base import TEXT_ERROR
from beffroi.yamlsource import Source, dotted


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


# Site-file fields whose allowed values are the law itself: a bad value is reported under the
# legal rule (with its citation), not as a mere type error.
LEGAL_FIELDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("authorization", "purposes", "*", "code"), "AUTH-3"),
    (("authorization", "purposes", "*", "regime"), "AUTH-5"),
    (("authorization", "recipients", "*", "kind"), "ACC-3"),
)
LEGAL_HINTS = {
    "AUTH-3": "use an item number of CSI L251-2 (1 to 11)",
    "AUTH-5": "regime is directive_2016_680 (crime prevention) or rgpd (risks, rescue)",
    "ACC-3": "kind is one of sdis, police_nationale, gendarmerie, douanes, police_municipale, "
             "or other with a legal_basis",
}


def _legal_rule(loc: tuple[str | int, ...]) -> str:
    for pattern, rule in LEGAL_FIELDS:
        if len(pattern) == len(loc) and all(
                (want == "*" and isinstance(got, int)) or want == got
                for want, got in zip(pattern, loc, strict=True)):
            return rule
    return "ENG-SCHEMA"


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
        elif kind == "missing":
            yield Finding(source.file, line, "ENG-SCHEMA", path,
                          f"required field '{name}' is missing",
                          citation=citation("ENG-SCHEMA"),
                          hint="add it (see `beffroi schema` for the site-file shape)")
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
            rule = _legal_rule(loc) if model.__name__ == "Site" else "ENG-SCHEMA"
            yield Finding(source.file, line, rule, path,
                          f"{err['msg']} (got {shown[:60]})", citation=citation(rule),
                          hint="fix the value's type or format" if rule == "ENG-SCHEMA"
                          else LEGAL_HINTS[rule])
