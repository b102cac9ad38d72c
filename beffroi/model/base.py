"""Shared model conventions: unknown keys are refused, values are validated, not coerced."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=48)]
Hostname = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9._-]{1,31}$")]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Port = Annotated[int, Field(ge=1, le=65535)]


class Strict(BaseModel):
    """Base of every inventory model: `extra="forbid"` turns typos into findings."""

    model_config = ConfigDict(extra="forbid", frozen=False, validate_default=True)
