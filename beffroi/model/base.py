"""Shared model conventions: unknown keys are refused, values are validated, not coerced.

Free text is data: every string field is one of the annotated types below, so no field can carry
a line break, a control character or a bidi override into a rendered file (issue 9, ENG-TEXT),
and every field has a length cap. Templates still escape what they interpolate
(`beffroi.escaping`): the model is the first wall, the escaping filter the second.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

# Unicode categories never allowed in inventory text: controls (\n \r \t NUL DEL NEL…), format
# characters (bidi overrides and isolates, zero-width, BOM, soft hyphen), line and paragraph
# separators, surrogates, private use and unassigned code points.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})
TEXT_ERROR = "text_forbidden_character"  # schema_errors maps this type to ENG-TEXT

# Length caps, in characters, per kind of text.
LABEL_MAX = 120      # names, models, services, short labels
TEXT_MAX = 300       # addresses, descriptions, locations, references
PARAGRAPH_MAX = 2000  # justifications and notes


_CONTROL_NAMES = {"\n": "LINE FEED (newline)", "\r": "CARRIAGE RETURN", "\t": "TAB",
                  "\x00": "NUL", "\x0b": "VERTICAL TAB", "\x0c": "FORM FEED", "\x1b": "ESCAPE",
                  "\x7f": "DELETE", "\x85": "NEXT LINE (NEL)"}


def forbidden_character(value: str) -> str | None:
    """A description of the first character inventory text may not hold, or None."""
    for index, char in enumerate(value):
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            name = _CONTROL_NAMES.get(char) or unicodedata.name(char, "control character")
            return f"U+{ord(char):04X} {name} at position {index + 1}"
    return None


def plain_text(value: str) -> str:
    """Refuse a value holding a line break, control, format or bidi character (ENG-TEXT)."""
    found = forbidden_character(value)
    if found is not None:
        raise PydanticCustomError(
            TEXT_ERROR, "free text may not contain {character}: one line of visible text only",
            {"character": found})
    return value


def _one_line(value: str) -> str:
    return plain_text(value).strip()


def _required(value: str) -> str:
    if not value:
        raise PydanticCustomError("string_too_short", "String should have at least 1 character")
    return value


# The character check runs on the raw value, before whitespace is stripped, so a trailing
# "\n" is refused rather than silently dropped; the cap is on the raw length.
Label = Annotated[str, StringConstraints(max_length=LABEL_MAX), AfterValidator(_one_line),
                  AfterValidator(_required)]
Text = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_one_line),
                 AfterValidator(_required)]
Paragraph = Annotated[str, StringConstraints(max_length=PARAGRAPH_MAX),
                      AfterValidator(_one_line), AfterValidator(_required)]
OptionalText = Annotated[str, StringConstraints(max_length=TEXT_MAX), AfterValidator(_one_line)]
OptionalParagraph = Annotated[str, StringConstraints(max_length=PARAGRAPH_MAX),
                              AfterValidator(_one_line)]
NonEmpty = Label  # historical name: a required one-line label

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=48)]
Hostname = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9._-]{1,31}$")]
# A switch interface name as the platforms spell it (GigabitEthernet1/0/1, ge-0/0/1, 1/1, A1).
InterfaceName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9./:-]{0,63}$")]
# An absolute POSIX path of plain segments: it goes into unit files, TOML and shell-free argv.
AbsolutePath = Annotated[str, StringConstraints(
    pattern=r"^(/[A-Za-z0-9._-]+)+/?$", max_length=200)]
# An NTP source: an address or a DNS name (chrony `server` takes exactly one such word).
NtpSource = Annotated[str, StringConstraints(
    pattern=r"^[A-Za-z0-9]([A-Za-z0-9.:-]{0,251}[A-Za-z0-9])?$")]
# A NUT driver name (ups.conf `driver =`): one word.
DriverName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
# An RTSP path appended to rtsp://user:pass@ip:port — no spaces, no userinfo or fragments.
RtspPath = Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9._~/=&?%+-]{0,199}$")]
Port = Annotated[int, Field(ge=1, le=65535)]


class Strict(BaseModel):
    """Base of every inventory model: `extra="forbid"` turns typos into findings."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=True)
