"""Juniper Junos driver over NETCONF (ncclient): the candidate/commit loop, for real.

Junos has a candidate datastore: lock it → `edit-config` (each managed interface or VLAN that
differs is sent whole with `operation="replace"`, VLANs the intent does not have with
`operation="delete"`) → `commit confirmed 5` → `commit` (confirm) → unlock; `discard-changes`
on any failure, so the running configuration is never left half changed. Intent and running
configuration compare as `set` statements.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from ncclient import manager  # type: ignore[import-untyped]
from ncclient.operations.errors import TimeoutExpiredError  # type: ignore[import-untyped]
from ncclient.operations.rpc import RPCError  # type: ignore[import-untyped]
from ncclient.transport.errors import (  # type: ignore[import-untyped]
    AuthenticationError,
    SSHError,
    TransportError,
)

from network.endpoints import Endpoint
from network.errors import NetworkError, UnreachableError
from network.switch import junos_config as jc
from network.switch.driver import ApplyResult, Comparison, Credentials
from network.switch.profiles import Profile

CONFIRM_MINUTES = 5   # the device rolls back by itself if the confirming commit never comes
NETCONF_PORT = 830
_UNREACHABLE = (SSHError, AuthenticationError, TransportError, TimeoutExpiredError, OSError)


class JunosDriver:
    """A Junos switch reached over NETCONF/SSH."""

    def __init__(self, device: str, endpoint: Endpoint, creds: Credentials, profile: Profile,
                 timeout: float = 10.0) -> None:
        self.device, self.endpoint, self.creds = device, endpoint, creds
        self.profile, self.timeout = profile, timeout

    @contextmanager
    def _session(self) -> Iterator[Any]:
        port = self.endpoint.port or NETCONF_PORT
        try:
            conn = manager.connect(host=self.endpoint.host, port=port,
                                   username=self.creds.username, password=self.creds.password,
                                   hostkey_verify=self.endpoint.check_host_key,
                                   look_for_keys=False, allow_agent=False,
                                   device_params={"name": "junos"}, timeout=self.timeout)
        except _UNREACHABLE as exc:
            raise UnreachableError(self.device, f"cannot open NETCONF to {self.endpoint.host}:"
                                   f"{port} ({type(exc).__name__}: {exc})") from None
        try:
            yield conn
        finally:
            with suppress(*_UNREACHABLE):   # the session is gone already
                conn.close_session()

    def running_config(self) -> str:
        """The running configuration as `set` lines."""
        with self._session() as conn:
            return "\n".join(self._running(conn)) + "\n"

    def _running(self, conn: Any) -> list[str]:
        try:
            return jc.from_xml(conn.get_config(source="running").data_xml)
        except _UNREACHABLE as exc:
            raise UnreachableError(self.device, f"lost NETCONF reading the configuration "
                                   f"({type(exc).__name__})") from None

    def _scope(self, intended: str, running: list[str]
               ) -> tuple[list[str], list[str], list[str]]:
        def modelled(line: str) -> bool:
            return not any(p.search(line) for p in self.profile.unmodelled)
        want = jc.parse_set(intended)
        unverifiable = [line for line in want if not modelled(line)]
        want = [line for line in want if modelled(line)]
        managed = {e for e in map(jc.entry_of, want) if e}
        have = [line for line in running if modelled(line)
                and (jc.entry_of(line) in managed or (jc.entry_of(line) or ("", ""))[0] == "vlans"
                     or line in want)]
        return want, have, unverifiable

    def _compare(self, intended: str, running: list[str]
                 ) -> tuple[Comparison, dict[tuple[str, str], str], list[str]]:
        want, have, unverifiable = self._scope(intended, running)
        order = {e: i for i, e in enumerate(dict.fromkeys(map(jc.entry_of, want)))}

        def key(line: str) -> tuple[int, str]:
            return order.get(jc.entry_of(line), len(order)), line
        diff = "".join(difflib.unified_diff(
            [f"{x}\n" for x in sorted(have, key=key)], [f"{x}\n" for x in sorted(want, key=key)],
            f"{self.device} (running)", f"{self.device} (intended)", n=1))
        ops: dict[tuple[str, str], str] = {}
        by_entry_want: dict[tuple[str, str] | None, set[str]] = {}
        by_entry_have: dict[tuple[str, str] | None, set[str]] = {}
        for line in want:
            by_entry_want.setdefault(jc.entry_of(line), set()).add(line)
        for line in have:
            by_entry_have.setdefault(jc.entry_of(line), set()).add(line)
        send: list[str] = []
        for entry, lines in by_entry_want.items():
            if by_entry_have.get(entry) != lines:
                send += sorted(lines, key=key)
                if entry is not None:
                    ops[entry] = "replace"
        for entry in by_entry_have:
            if entry is not None and entry not in by_entry_want:
                ops[entry] = "delete"
        commands = [*send, *(f"delete {c} {n}" for (c, n), op in ops.items()
                             if op == "delete")]
        # unrendered statements are reported (NET-3), not removed: an edit-config here deletes
        # only interfaces and VLANs
        modelled = [line for line in running
                    if not any(p.search(line) for p in self.profile.unmodelled)]
        alien = tuple(jc.foreign(want, modelled, self.creds.username))
        rules = (("NET-1",) if diff else ()) + (("NET-3",) if alien else ())
        return Comparison(self.device, diff, commands, tuple(unverifiable),
                          foreign=alien, rules=rules), ops, send

    def compare(self, intended: str) -> Comparison:
        """Running (NETCONF get-config) vs the rendered `set` lines."""
        with self._session() as conn:
            return self._compare(intended, self._running(conn))[0]

    def apply(self, intended: str, check: bool = False) -> ApplyResult:
        """Lock candidate → edit → commit confirmed → confirm → unlock; discard on failure."""
        with self._session() as conn:
            cmp, ops, send = self._compare(intended, self._running(conn))
            result = ApplyResult(self.device, bool(cmp.commands), cmp.diff, "netconf",
                                 cmp.commands, unverifiable=cmp.unverifiable)
            if check or not cmp.commands:
                return result
            try:
                with conn.locked("candidate"):
                    try:
                        conn.edit_config(target="candidate", config=jc.to_xml(send, ops))
                        conn.commit(confirmed=True, timeout=str(CONFIRM_MINUTES * 60))
                        conn.commit()
                    except RPCError:
                        conn.discard_changes()
                        raise
            except (RPCError, *_UNREACHABLE) as exc:
                raise NetworkError(self.device, f"commit refused, candidate discarded: "
                                   f"{exc}") from None
            after = self._compare(intended, self._running(conn))[0]
            if not after.in_sync:
                raise NetworkError(self.device, "did not converge after commit; remaining "
                                   f"difference:\n{after.diff}")
            return result
