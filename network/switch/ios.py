"""Cisco IOS driver: napalm's safe-deploy loop first, netmiko line push where napalm cannot.

The napalm loop is: load a merge candidate (the delta from `config.delta`) → `compare_config`
→ `commit_config(revert_in=…)` (IOS `configure terminal revert timer`, i.e. commit-confirm) →
`confirm_commit`, and `rollback` on any failure. It needs the device's flash file system,
SCP and the `archive` feature. A device without them — fake-switches has none — makes
`load_merge_candidate` fail before anything is changed; the driver then pushes the very same
delta over the napalm session's own netmiko connection, checks every line was accepted, rolls
back by pushing the reverse delta if one was refused, and saves the configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

from network.endpoints import Endpoint
from network.errors import NetworkError, UnreachableError
from network.switch import config
from network.switch.driver import ApplyResult, Comparison, Credentials
from network.switch.profiles import Profile

COMMIT_CONFIRM_SECONDS = 300   # IOS reverts by itself if we lose the device after commit
_REJECTED = ("No such command", "% Invalid input", "% Incomplete command", "% Ambiguous")
_ANY_MODE = r"(\(config[^)]*\))?#"   # exec or any config sub-mode prompt
# napalm imports every one of its drivers (Junos, IOS-XR, NX-OS: most of a cold drift run):
# it is imported only to converge; reading the running config is one netmiko command
_READ_ERRORS = (NetmikoTimeoutException, NetmikoAuthenticationException, OSError, EOFError)


def _unreachable() -> tuple[type[BaseException], ...]:
    from napalm.base.exceptions import ConnectionException
    return (ConnectionException, *_READ_ERRORS)


class IosDriver:
    """A Cisco IOS switch reached over SSH (napalm `ios`, netmiko `cisco_ios` underneath)."""

    def __init__(self, device: str, endpoint: Endpoint, creds: Credentials, profile: Profile,
                 timeout: float = 10.0) -> None:
        self.device = device
        self.endpoint = endpoint
        self.creds = creds
        self.profile = profile
        self.timeout = timeout

    @contextmanager
    def _session(self) -> Iterator[Any]:
        """An open napalm session; connection failures become UnreachableError."""
        from napalm import get_network_driver
        unreachable = _unreachable()
        args: dict[str, Any] = {"secret": self.creds.enable_secret, "fast_cli": True,
                                "conn_timeout": self.timeout}
        if self.endpoint.port:
            args["port"] = self.endpoint.port
        dev = get_network_driver("ios")(self.endpoint.host, self.creds.username,
                                        self.creds.password, timeout=int(self.timeout),
                                        optional_args=args)
        try:
            dev.open()
        except unreachable as exc:
            raise UnreachableError(self.device, f"cannot open SSH to {self.endpoint.host}:"
                                   f"{self.endpoint.port or 22} ({type(exc).__name__}: "
                                   f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
        try:
            yield dev
        finally:
            with suppress(*unreachable):   # the session is gone already: nothing to release
                dev.close()

    def running_config(self) -> str:
        """`show running-config` over netmiko (what napalm's `get_config` sends, without
        importing napalm); enable mode first, as the running config needs it."""
        from netmiko import ConnectHandler
        try:
            conn = ConnectHandler(device_type="cisco_ios", host=self.endpoint.host,
                                  port=self.endpoint.port or 22, username=self.creds.username,
                                  password=self.creds.password,
                                  secret=self.creds.enable_secret, fast_cli=True,
                                  conn_timeout=self.timeout, auth_timeout=self.timeout)
        except _READ_ERRORS as exc:
            raise UnreachableError(self.device, f"cannot open SSH to {self.endpoint.host}:"
                                   f"{self.endpoint.port or 22} ({type(exc).__name__}: "
                                   f"{str(exc).splitlines()[0] if str(exc) else ''})") from None
        try:
            conn.enable()
            return str(conn.send_command("show running-config"))
        except _READ_ERRORS as exc:
            raise UnreachableError(self.device, f"lost the session reading the running "
                                   f"config ({type(exc).__name__})") from None
        finally:
            with suppress(*_READ_ERRORS):   # the session is gone already
                conn.disconnect()

    def _running(self, dev: Any) -> str:
        try:
            return str(dev.get_config(retrieve="running")["running"])
        except _unreachable() as exc:
            raise UnreachableError(self.device, f"lost the session reading the running "
                                   f"config ({type(exc).__name__})") from None

    def _compare(self, intended: str, running: str) -> Comparison:
        scoped = config.scope(config.parse(intended), config.parse(running),
                              self.profile.unmodelled, self.creds.username)
        diff = config.unified_diff(scoped.running, scoped.intended, self.device)
        rules = sorted({config.rule_of(h) for h in
                        config.changed_headers(scoped.intended, scoped.running)})
        return Comparison(self.device, diff, config.delta(scoped.intended, scoped.running),
                          scoped.unverifiable, scoped.unmanaged, scoped.foreign, tuple(rules))

    def compare(self, intended: str) -> Comparison:
        """Running (napalm getter) vs the rendered intent, normalised."""
        return self._compare(intended, self.running_config())

    def apply(self, intended: str, check: bool = False) -> ApplyResult:
        """Converge to the intent: napalm candidate/commit-confirm, else netmiko push."""
        from napalm.base.exceptions import NapalmException
        with self._session() as dev:
            before = self._compare(intended, self._running(dev))
            result = ApplyResult(self.device, changed=bool(before.commands), diff=before.diff,
                                 method="napalm", commands=before.commands,
                                 unverifiable=before.unverifiable)
            if check or not before.commands:
                return result
            try:
                dev.load_merge_candidate(config="\n".join(before.commands) + "\n")
            except NapalmException as exc:
                # no flash file system / SCP / archive on this device: napalm cannot stage a
                # candidate, so push the same delta line by line over netmiko
                result.method = "netmiko"
                result.fallback_reason = f"napalm load_merge_candidate failed: {exc}"
                self._push_netmiko(dev.device, before.commands, intended)
            else:
                self._commit_napalm(dev)
            after = self._compare(intended, self._running(dev))
            if not after.in_sync:
                raise NetworkError(self.device, "did not converge after apply; remaining "
                                   f"difference:\n{after.diff}")
            return result

    def _commit_napalm(self, dev: Any) -> None:
        """compare → commit with revert timer → confirm; roll back if anything fails."""
        from napalm.base.exceptions import NapalmException
        try:
            if dev.compare_config():
                dev.commit_config(revert_in=COMMIT_CONFIRM_SECONDS)
                dev.confirm_commit()
            else:
                dev.discard_config()
        except NapalmException as exc:
            dev.rollback()
            raise NetworkError(self.device, f"commit failed and was rolled back: {exc}"
                               ) from None

    def _push_netmiko(self, conn: Any, commands: list[str], intended: str) -> None:
        """Send config lines; the simulator has no `end`, so leave config mode with `exit`."""
        previous = self._running_netmiko(conn)
        output = self._send(conn, commands)
        refused = [line for line in output.splitlines() if line.startswith(_REJECTED)]
        if refused:
            now = self._running_netmiko(conn)
            undo = config.delta(config.parse(previous), config.parse(now))
            if undo:
                self._send(conn, undo)
            raise NetworkError(self.device, "the device refused part of the configuration; "
                               "the change was rolled back. Refused:\n  " + "\n  ".join(refused))
        conn.send_command("write memory", expect_string=r"OK")

    @staticmethod
    def _send(conn: Any, commands: list[str]) -> str:
        output = str(conn.send_config_set(commands, exit_config_mode=False))
        # the simulator has no `end`; `exit` from global config returns to exec on IOS too.
        # Check the mode first: a refused section header leaves its ` exit` one level higher.
        for _ in range(3):
            if not conn.check_config_mode():
                break
            conn.send_command("exit", expect_string=re.escape(conn.base_prompt) + _ANY_MODE)
        return output

    @staticmethod
    def _running_netmiko(conn: Any) -> str:
        return str(conn.send_command("show running-config"))
