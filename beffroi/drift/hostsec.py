"""Who can get in: sshd's effective configuration, rendered files' owners and modes, and the
local accounts that hold root or sudo (NET-3).

- sshd: `sshd -T` of the live configuration vs `sshd -T -f` of the intended one, both run on
  the host (same OpenSSH, same defaults): the intent's sshd_config (with the lab's one
  exception, root by key only, on a lab host: beffroi/lab/overrides.py).
- Files: owner, group and mode of every rendered file, from the intent's list
  (`beffroi/files.py`), plus sudoers.
- Accounts: root is the only uid 0; sudo, wheel, admin and the administrators' group hold
  only the department's administrators; sudoers holds Debian's lines and sudoers.d only
  Beffroi's file.
"""

from __future__ import annotations

import base64
import posixpath
import shlex
from dataclasses import dataclass

from beffroi.intent import PATHS

SSHD_CONFIG = PATHS["sshd_config"]
# role common's only file in sudoers.d (one of the intent's files)
SUDOERS_DIR, SUDOERS_FILE = posixpath.split(PATHS["sudoers_admins"])
PRIVILEGED_GROUPS = ("sudo", "wheel", "admin", "root")
# Debian's /etc/sudoers, comments and blank lines aside
SUDOERS_DEFAULT = frozenset({
    'Defaults\tenv_reset', "Defaults\tmail_badpass",
    'Defaults\tsecure_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"',
    'Defaults\tuse_pty', "root\tALL=(ALL:ALL) ALL", "%sudo\tALL=(ALL:ALL) ALL",
    "@includedir /etc/sudoers.d", "#includedir /etc/sudoers.d"})


@dataclass(frozen=True)
class FileMode:
    """Who must own a file and with which mode."""

    path: str
    owner: str
    group: str
    mode: str          # octal, as `stat -c %a` prints it (no leading zero)
    rule: str


def probe(files: list[FileMode], sshd_config: str) -> str:
    """One shell script printing every fact these checks need, in @@sections@@ (`sshd_config`:
    the intent's file, as this host must have it)."""
    want = base64.b64encode(sshd_config.encode()).decode()
    paths = " ".join(shlex.quote(f.path) for f in files)
    return "; ".join([
        "echo @@sshd_live@@", "sshd -T 2>&1",
        "echo @@sshd_want@@", f"f=$(mktemp) && echo {want} | base64 -d > $f && "
        "sshd -T -f $f 2>&1; rm -f $f",
        "echo @@stat@@", f"stat -c '%n|%U|%G|%a' {paths} 2>/dev/null",
        "echo @@passwd@@", "getent passwd", "echo @@group@@", "getent group",
        "echo @@sudoers_d@@", f"ls -1A {SUDOERS_DIR} 2>/dev/null",
        "echo @@sudoers@@", "grep -v -e '^[[:space:]]*$' -e '^#[^i]' -e '^#$' /etc/sudoers",
        "echo @@sudoers_beffroi@@",
        f"grep -v -e '^[[:space:]]*$' -e '^#' {SUDOERS_DIR}/{SUDOERS_FILE} 2>/dev/null",
        "true"])


def sections(output: str) -> dict[str, list[str]]:
    """`probe`'s output split by section."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in output.splitlines():
        if line.startswith("@@") and line.endswith("@@"):
            current = line.strip("@")
            out[current] = []
        elif current:
            out[current].append(line)
    return out


def sshd_differences(facts: dict[str, list[str]]) -> list[str]:
    """Effective sshd settings that differ from the intended ones."""
    live, want = facts.get("sshd_live", []), facts.get("sshd_want", [])
    if not want or not any(" " in line for line in want):
        return []   # no sshd on this host, or it cannot parse: reported by the services check
    have, should = _settings(live), _settings(want)
    out = []
    for key in sorted(set(have) | set(should)):
        if have.get(key) != should.get(key):
            out.append(f"sshd {key} is {have.get(key, 'unset')!s}, intended "
                       f"{should.get(key, 'unset')!s} ({SSHD_CONFIG} or a file it includes: "
                       "find who changed it, then redeploy role common)")
    return out


def _settings(lines: list[str]) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    for line in lines:
        key, _, value = line.partition(" ")
        if key and value:
            out.setdefault(key.lower(), []).append(value)
    return {k: ", ".join(sorted(v)) for k, v in out.items()}


def mode_differences(facts: dict[str, list[str]], files: list[FileMode]) -> list[tuple[str, str]]:
    """(rule, what) for every file whose owner, group or mode is not the intended one."""
    live = {}
    for line in facts.get("stat", []):
        path, _, rest = line.partition("|")
        live[path] = rest.split("|")
    out = []
    for f in files:
        got = live.get(f.path)
        if got is None or len(got) != 3:
            continue   # a missing file is reported by the content check
        owner, group, mode = got
        want_mode = f.mode.lstrip("0") or "0"
        if (owner, group, mode) != (f.owner, f.group, want_mode):
            out.append((f.rule, f"{f.path} is {owner}:{group} {mode.zfill(4)}, intended "
                                f"{f.owner}:{f.group} {want_mode.zfill(4)} (chown/chmod it "
                                "back, or redeploy)"))
    return out


def account_differences(facts: dict[str, list[str]], admins: set[str],
                        admin_group: str) -> list[str]:
    """Accounts with root's uid, members of privileged groups, sudoers lines and files the
    intent does not grant."""
    out = []
    for line in facts.get("passwd", []):
        fields = line.split(":")
        if len(fields) > 3 and fields[2] == "0" and fields[0] != "root":
            out.append(f"account {fields[0]} has uid 0 (only root may): lock and remove it "
                       f"(userdel {fields[0]}) after finding who created it")
    for line in facts.get("group", []):
        fields = line.split(":")
        if len(fields) < 4:
            continue
        allowed = admins if fields[0] == admin_group else set()
        if fields[0] in (*PRIVILEGED_GROUPS, admin_group):
            for member in sorted(set(filter(None, fields[3].split(","))) - allowed):
                out.append(f"account {member} is a member of group {fields[0]}, which the "
                           f"intent does not grant: gpasswd -d {member} {fields[0]}")
    for name in facts.get("sudoers_d", []):
        if name not in (SUDOERS_FILE, "README"):
            out.append(f"{SUDOERS_DIR}/{name} is not Beffroi's (remove it)")
    grant = f"%{admin_group} ALL=(ALL:ALL) NOPASSWD: ALL"   # role common's only line
    for line in facts.get("sudoers_beffroi", []):
        if " ".join(line.split()) != grant:
            out.append(f"{SUDOERS_DIR}/{SUDOERS_FILE} grants more than role common's line: "
                       f"{line.strip()}")
    for line in facts.get("sudoers", []):
        if " ".join(line.split()) not in {" ".join(d.split()) for d in SUDOERS_DEFAULT}:
            out.append(f"/etc/sudoers grants more than Debian's defaults: {line.strip()}")
    return out


def hardening_files() -> list[FileMode]:
    """Files role common installs outside the intent's list, with their modes."""
    return [FileMode("/etc/sudoers", "root", "root", "0440", "NET-3")]
