"""Where to reach a device, when it is not where the inventory says (lab, simulators).

The inventory gives every device its management address on the commune's network. A test or a
lab maps inventory host names to other addresses with an endpoints file (YAML), passed as
`beffroi drift --endpoints FILE` or through the BEFFROI_ENDPOINTS environment variable:

    evrange-sw: {host: 127.0.0.1, port: 22501, profile: fake-switches}
    evrange-cam-mairie-narrow: {host: 127.0.0.1, port: 18080}
    evrange-nvr: {host: 127.0.0.1, port: 2222, username: root, ssh_key: /path/key}

The site model and the vault stay the only source of desired state and credentials; an endpoint
may only override how the device is reached (and, for lab peers, declare their known profile).

A directory is read as an Ansible inventory override of the kind `beffroi lab up` writes
(`host_vars/<host>.yml` with ansible_host, ansible_port, ansible_user,
ansible_ssh_private_key_file), so drift can audit a lab with the very addresses Ansible uses.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ENV_VAR = "BEFFROI_ENDPOINTS"
_MAX_BYTES = 1024 * 1024
_FIELDS = {"host", "port", "profile", "username", "password", "ssh_key", "check_host_key",
           "lab"}


@dataclass(frozen=True)
class Endpoint:
    """How to reach one device; empty fields fall back to the inventory and the vault."""

    host: str
    port: int = 0
    profile: str = ""
    username: str = ""
    password: str = ""
    ssh_key: str = ""
    check_host_key: bool = True     # False for lab containers, whose host keys change on every up
    known_hosts: str = ""           # where host keys are pinned (production: the department's)
    lab: bool = False               # a lab host: its own settings apply (beffroi/lab/overrides)


class EndpointsError(ValueError):
    """The endpoints file is unreadable or malformed (names the file and the entry)."""


def _read(path: Path) -> str:
    """A regular file's text (a FIFO is never opened: it would block until a writer comes)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a FIFO" if stat.S_ISFIFO(info.st_mode) else "not a regular file"
            raise EndpointsError(f"{path}: {kind}; give a YAML endpoints file")
        if info.st_size > _MAX_BYTES:
            raise EndpointsError(f"{path}: {info.st_size} bytes is too large for an endpoints "
                                 "file")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise EndpointsError(f"{path}: cannot read endpoints file ({exc})") from None


def load_endpoints(path: Path | None = None, required: bool = False) -> dict[str, Endpoint]:
    """Read an endpoints file (or $BEFFROI_ENDPOINTS); no file means the inventory addresses.

    With `required` (drift was given this file), a file that lists no device is an error:
    an empty mapping must never be read as "contact every device of the inventory".
    """
    if path is None:
        env = os.environ.get(ENV_VAR, "")
        if not env:
            return {}
        path = Path(env)
    if path.is_dir():
        return _from_host_vars(path)
    try:
        data: Any = yaml.safe_load(_read(path)) or {}
    except yaml.YAMLError as exc:
        raise EndpointsError(f"{path}: cannot read endpoints file ({exc})") from None
    if not isinstance(data, dict):
        raise EndpointsError(f"{path}: expected a mapping host → {{host, port, …}}")
    if required and not data:
        raise EndpointsError(f"{path}: the endpoints file lists no device; nothing would be "
                             "audited (map inventory hosts to addresses, see "
                             "network/endpoints.py)")
    out: dict[str, Endpoint] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or "host" not in entry:
            raise EndpointsError(f"{path}: entry {name!r} needs at least `host`")
        unknown = set(entry) - _FIELDS
        if unknown:
            raise EndpointsError(f"{path}: entry {name!r} has unknown field(s) "
                                 f"{', '.join(sorted(unknown))}; "
                                 f"allowed: {', '.join(sorted(_FIELDS))}")
        out[str(name)] = Endpoint(host=str(entry["host"]), port=int(entry.get("port", 0)),
                                  profile=str(entry.get("profile", "")),
                                  username=str(entry.get("username", "")),
                                  password=str(entry.get("password", "")),
                                  ssh_key=str(entry.get("ssh_key", "")),
                                  check_host_key=bool(entry.get("check_host_key", True)),
                                  lab=entry.get("lab") is True)
    return out


def _from_host_vars(root: Path) -> dict[str, Endpoint]:
    """Endpoints from `<root>/host_vars/*.yml` (or `<root>/*.yml` if root is host_vars)."""
    folder = root / "host_vars" if (root / "host_vars").is_dir() else root
    out: dict[str, Endpoint] = {}
    for file in sorted(folder.glob("*.yml")):
        try:
            data: Any = yaml.safe_load(_read(file)) or {}
        except yaml.YAMLError as exc:
            raise EndpointsError(f"{file}: cannot read host variables ({exc})") from None
        if not isinstance(data, dict) or "ansible_host" not in data:
            continue
        out[file.stem] = Endpoint(
            host=str(data["ansible_host"]), port=int(data.get("ansible_port", 0)),
            username=str(data.get("ansible_user", "")),
            ssh_key=str(data.get("ansible_ssh_private_key_file", "")),
            check_host_key="StrictHostKeyChecking=no" not in
            str(data.get("ansible_ssh_common_args", "")),
            lab="beffroi_lab" in data)
    if not out:
        raise EndpointsError(f"{root}: no host_vars/*.yml with ansible_host found")
    return out


def endpoint_for(device: str, default: Endpoint, endpoints_file: str) -> Endpoint:
    """Where to reach `device`: its entry in the endpoints file when one is given, else `default`.

    An endpoints file describes a whole lab: a device it does not list is not in the lab and must
    not be contacted at its production address by mistake (EndpointsError).
    """
    if not endpoints_file:
        return default
    lab = load_endpoints(Path(endpoints_file))
    if device not in lab:
        raise EndpointsError(f"{device} is not in the endpoints file {endpoints_file}: not part "
                             "of this lab; limit the play (-l) to the devices the file lists")
    return lab[device]
