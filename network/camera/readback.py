"""Drift's read-back of one camera: plain SOAP (no WSDL), the vaulted account, factory logins.

Besides the settings, it proves who can log in: the vaulted account must be the camera's
administrator, and no factory login may answer (NET-3). A camera that refuses the vaulted
account but answers a factory login has been reset or taken over: drift, not "unreachable".
"""

from __future__ import annotations

import os

from network.camera.compare import ADMINISTRATOR, CameraCheck, compare
from network.camera.model import parse_desired
from network.camera.soap import AuthRefused, OnvifReader, SoapError, Unanswered
from network.endpoints import Endpoint
from network.errors import NetworkError, UnreachableError

# Default logins of common ONVIF camera firmwares, tried once each per audit. Kept short: a
# camera may lock an address out after a few failed logins (Beffroi's account is not admin).
FACTORY_LOGINS: tuple[tuple[str, str], ...] = (
    ("admin", "admin"), ("admin", ""), ("admin", "12345"), ("root", "pass"))


def read_check(device: str, rendered: str, endpoint: Endpoint,
               factory_logins: tuple[tuple[str, str], ...] = FACTORY_LOGINS) -> CameraCheck:
    """Read the camera back with its vaulted account, compare, and probe factory logins."""
    want = parse_desired(rendered)
    port = endpoint.port or 80
    reader = OnvifReader(endpoint.host, port, want.username, want.password)
    where = f"{endpoint.host}:{port}"
    try:
        reader.discover()
        answering = _factory_answering(reader, want.username, factory_logins)
        try:
            users: dict[str, str] | None = reader.users()
        except AuthRefused:
            users = None
        try:
            live = reader.read(users or {})
        except AuthRefused:
            if answering:   # reset to factory, or the vaulted account removed
                check = CameraCheck(device)
                check.intrusions.append(("NET-3", f"the vaulted account {want.username} is "
                                         f"refused while {_names(answering)} answers"))
                return _with_factory(check, answering)
            raise UnreachableError(device, f"the vaulted account is refused at {where} and "
                                   "no factory login answers: check the vault and the "
                                   "camera") from None
    except Unanswered as exc:
        raise UnreachableError(device, f"no ONVIF answer from {where} ({exc})") from None
    except SoapError as exc:
        raise NetworkError(device, f"unusable ONVIF answer from {where}: {exc}") from None
    if users is None:   # GetUsers is an administrator's call: the account was demoted
        live.users = None
    check = compare(device, want, live)
    if users is None:
        check.intrusions.append(("NET-3", f"the vaulted account {want.username} may no longer "
                                 f"list accounts (GetUsers refused): no longer {ADMINISTRATOR}"))
    return _with_factory(check, answering)


def _factory_answering(reader: OnvifReader, vaulted: str,
                       logins: tuple[tuple[str, str], ...]) -> list[str]:
    """Factory account names whose default login is accepted by GetUsers (an administrator's
    call on every ONVIF camera). A made-up login that is accepted too means the camera checks
    no credentials at all: reported as such."""
    def accepted(user: str, password: str) -> bool:
        try:
            reader.as_user(user, password).call("tds", "GetUsers")
        except SoapError:   # refused, or another fault: not a proof that the login works
            return False
        return True
    if accepted(f"beffroi-probe-{os.urandom(4).hex()}", os.urandom(12).hex()):
        return ["any login (the camera checks no credentials)"]
    return sorted({user for user, password in logins
                   if user != vaulted and accepted(user, password)})


def _names(users: list[str]) -> str:
    if users and users[0].startswith("any login"):
        return users[0]
    return "factory login " + ", ".join(repr(u) for u in users)


def _with_factory(check: CameraCheck, answering: list[str]) -> CameraCheck:
    if answering:
        check.intrusions.append(("NET-3", f"{_names(answering)} answers with its factory "
                                 "default: delete that account or change its login"))
    return check


