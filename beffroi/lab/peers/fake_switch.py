"""Lab switch: fake-switches 1.5.0 (Cisco IOS CLI over SSH) at the switch's model address.

Runs in the controller's venv inside the switch's network namespace:
    python -m beffroi.lab.peers.fake_switch IP PORT MODEL@PREFIX:FIRST:COUNT  < credentials.json
The commune's vaulted switch credentials (as if the installer had bootstrapped the switch with
them) come on stdin as {"username", "password", "enable_secret"}: never on the command line,
which every local user can read. The ports are the ones the site file declares.
Prints `READY` once listening; runs until killed.
"""

from __future__ import annotations

import json
import logging
import sys

# Debian's pyOpenSSL (seen through --system-site-packages) does not load with the venv's
# cryptography; Twisted needs it only for TLS, which SSH does not use.
sys.modules["OpenSSL"] = None  # type: ignore[assignment]

from fake_switches import switch_factory  # noqa: E402
from fake_switches.switch_configuration import Port  # noqa: E402
from fake_switches.transports.ssh_service import (  # noqa: E402
    SwitchSshService,
)
from twisted.internet import reactor  # noqa: E402


def main(argv: list[str]) -> None:
    """Start the switch; the reactor runs until the process is killed."""
    logging.basicConfig(level=logging.WARNING)
    ip, port, spec = argv
    creds = json.loads(sys.stdin.readline())
    user, password, enable = creds["username"], creds["password"], creds["enable_secret"]
    model, _, spec = spec.rpartition("@")
    prefix, first, count = spec.rsplit(":", 2)
    names = [f"{prefix}{n}" for n in range(int(first), int(first) + int(count))]
    # the enable password must be str on Python 3: fake-switches' own CLI passes bytes (bug)
    core = switch_factory.SwitchFactory().get(model or "cisco_generic", hostname="Switch",
                                              password=enable, ports=[Port(n) for n in names])
    SwitchSshService(ip=ip, port=int(port), switch_core=core,
                     users={user: password.encode()}).hook_to_reactor(reactor)
    reactor.callWhenRunning(lambda: print("READY", flush=True))
    reactor.run()  # type: ignore[misc]


if __name__ == "__main__":
    main(sys.argv[1:])
