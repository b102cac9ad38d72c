"""Test peer: fake-switches (Cisco IOS CLI over SSH) servers bound to 127.0.0.1 only.

usage: fake_switch_server.py USER PASSWORD ENABLE PORTS_SPEC PORT [PORT ...]
PORTS_SPEC is `[model@]prefix:first:count` (e.g. `GigabitEthernet1/0/:1:8`, model
`cisco_generic` by default, or `juniper_generic@ge-0/0/:1:8` for Junos over NETCONF): the
physical ports every switch gets, so that the simulator has the ports the site model declares.
USER/PASSWORD/ENABLE are the commune's vaulted switch credentials (as if the switch had been
bootstrapped with them).
Prints `READY <port>...` once listening; runs until killed.
"""

from __future__ import annotations

import logging
import sys

# Debian's pyOpenSSL 23 (seen through --system-site-packages) does not load with the venv's
# cryptography; Twisted only needs it for TLS, which SSH does not use: make the import fail cleanly.
sys.modules["OpenSSL"] = None  # type: ignore[assignment]

from fake_switches import switch_factory  # noqa: E402
from fake_switches.switch_configuration import Port  # noqa: E402
from fake_switches.transports.ssh_service import SwitchSshService  # noqa: E402
from twisted.internet import reactor  # noqa: E402


def main(argv: list[str]) -> None:
    """Start one cisco_generic switch per port; the reactor runs until the process is killed."""
    logging.basicConfig(level=logging.WARNING)
    user, password, enable, ports_spec, *tcp_ports = argv
    model, _, ports_spec = ports_spec.rpartition("@")
    prefix, first, count = ports_spec.rsplit(":", 2)
    names = [f"{prefix}{n}" for n in range(int(first), int(first) + int(count))]
    factory = switch_factory.SwitchFactory()
    for port in tcp_ports:
        # the enable password must be str on Python 3: fake-switches' own CLI passes bytes (bug)
        core = factory.get(model or "cisco_generic", hostname="Switch", password=enable,
                           ports=[Port(n) for n in names])
        SwitchSshService(ip="127.0.0.1", port=int(port), switch_core=core,
                         users={user: password.encode()}).hook_to_reactor(reactor)
    reactor.callWhenRunning(lambda: print("READY", *tcp_ports, flush=True))
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])
