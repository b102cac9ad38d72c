"""Ansible filters: Beffroi's escaping filters (one per target syntax) and its serializers.

The roles render the shared templates in `templates/` with `ansible.builtin.template`; these are
the very functions `beffroi render` registers (`beffroi.escaping.FILTERS`), so both write the
same bytes. A value a syntax cannot carry fails the task with the filter's message.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleFilterError

from beffroi.escaping import FILTERS, UnsafeValue


def _strict(name: str, func: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> str:
        try:
            return func(*args, **kwargs)
        except UnsafeValue as exc:
            raise AnsibleFilterError(f"{name}: {exc}") from None
    return wrapper


class FilterModule:
    """`chrony_word`, `ios_text`, `nft_string`, `to_toml`, … (see beffroi/escaping.py)."""

    def filters(self) -> dict[str, Callable[..., str]]:
        """Every escaping filter, under the name the templates use."""
        return {name: _strict(name, func) for name, func in FILTERS.items()}
