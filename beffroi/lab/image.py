"""The lab image: Debian bookworm from debootstrap, `podman import`ed, tarball cached.

The tarball lives in the cache dir (outside the checkout). Its name carries a hash of the
recipe (packages + image tweaks), so changing the recipe rebuilds it; a missing podman image
with a present tarball is only re-imported (seconds, not minutes).
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from beffroi.lab import podman
from beffroi.lab.errors import LabError
from beffroi.lab.paths import cache_dir

SUITE = "bookworm"
RECIPE_LABEL = "beffroi.lab.recipe"
SOURCES_LIST = Path("/etc/apt/sources.list.d/debian.sources")
FALLBACK_MIRROR = "http://deb.debian.org/debian"

# Pre-installed so the roles' converge never waits on apt (the lab must converge fast).
PACKAGES: tuple[str, ...] = (
    "python3", "systemd", "systemd-sysv", "dbus", "openssh-server", "sudo", "iproute2",
    "iputils-ping", "procps", "nftables", "wireguard-tools", "wireguard-go", "chrony",
    "nut-client", "nut-server", "ffmpeg", "python3-venv", "python3-gi",
    "gir1.2-gst-rtsp-server-1.0", "gstreamer1.0-plugins-base", "gstreamer1.0-plugins-good",
    "gstreamer1.0-plugins-bad", "unattended-upgrades", "ca-certificates", "curl",
    "netcat-openbsd", "sqlite3", "python3-apt",
    "acl",  # Ansible `become_user` to an unprivileged user (recorder) sets ACLs on temp files
    # role workstation (the kiosk) and role monitoring (Debian's Prometheus stack)
    "chromium", "cage", "xwayland", "libnss3-tools", "fonts-dejavu-core",
    "prometheus", "prometheus-alertmanager", "prometheus-node-exporter",
)

# Per-container SSH host keys: the image ships none, this unit makes them at first boot.
_KEYGEN_UNIT = """\
[Unit]
Description=Beffroi lab: generate this container's SSH host keys
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
"""

# Time is not namespaced: containers never get CAP_SYS_TIME, so chronyd runs with -x (serves and
# measures its sources, never steers the clock) instead of being skipped by its unit condition.
_CHRONY_DROPIN = """\
[Unit]
ConditionCapability=

[Service]
ExecStart=
ExecStart=!/usr/sbin/chronyd $DAEMON_OPTS -x
"""

_SOURCES = """\
Types: deb
URIs: {mirror}
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: {security}
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""

# Units that only make sense on real hardware or fail without a console in a container.
# (apt timers stay: the common role manages unattended upgrades as on a real host.)
_MASKED_UNITS = ("getty@tty1.service", "console-getty.service", "systemd-udevd.service",
                 "systemd-udev-trigger.service", "sys-kernel-config.mount",
                 "sys-kernel-debug.mount", "sys-kernel-tracing.mount", "e2scrub_reap.service")
# Documentation is dead weight in a lab image (≈ 10 % of it); dpkg keeps skipping it later.
_DPKG_NODOC = """\
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
"""
RECIPE_VERSION = "8"


@dataclass(frozen=True)
class ImageResult:
    """How `ensure_image` got the image and how long it took."""

    name: str
    tarball: Path
    source: str  # "present" | "imported" | "built"
    seconds: float


def recipe_hash() -> str:
    """Short hash of everything that shapes the image: a change forces a rebuild."""
    blob = "\n".join([RECIPE_VERSION, SUITE, *PACKAGES, _KEYGEN_UNIT, _SOURCES, *_MASKED_UNITS,
                      _DPKG_NODOC, _CHRONY_DROPIN])
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


# One tag per recipe: worktrees (or branches) with different recipes share one podman store,
# and a shared tag would make each `lab up` re-import or rebuild the image the other one uses.
IMAGE_NAME = f"localhost/beffroi-lab:{SUITE}-{recipe_hash()}"


def tarball_path() -> Path:
    """The cached root filesystem tarball for the current recipe."""
    return cache_dir() / "images" / f"beffroi-lab-{SUITE}-{recipe_hash()}.tar"


def debian_mirror(sources: Path = SOURCES_LIST) -> str:
    """The Debian mirror this machine already uses (deb822 or one-line format)."""
    candidates = [sources, Path("/etc/apt/sources.list")]
    for path in candidates:
        if not path.is_file():
            continue
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line.startswith("URIs:"):
                for uri in line.split()[1:]:
                    if uri.rstrip("/").endswith("/debian"):
                        return uri.rstrip("/")
            elif line.startswith("deb ") and " bookworm" in line:
                uri = line.split()[1]
                if uri.rstrip("/").endswith("/debian"):
                    return uri.rstrip("/")
    return FALLBACK_MIRROR


def _image_recipe(name: str) -> str | None:
    if not podman.image_exists(name):
        return None
    out = podman.run(["image", "inspect", "--format",
                      "{{ index .Config.Labels \"" + RECIPE_LABEL + "\" }}", name],
                     check=False).stdout.strip()
    return out or "unknown"


def _stream(cmd: list[str], progress: Callable[[str], None], what: str) -> None:
    """Run cmd, feeding each output line to progress; keep the tail for the error message."""
    tail: list[str] = []
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          bufsize=1) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            tail = [*tail[-19:], line.rstrip()]
            progress(line.rstrip())
        rc = proc.wait()
    if rc != 0:
        raise LabError(f"{what} failed (exit {rc}); last output:\n" + "\n".join(tail))


def _write_sources(root: Path, mirror: str) -> None:
    """bookworm, -updates and -security from the mirror this machine uses."""
    security = mirror.rsplit("/", 1)[0] + "/debian-security"
    (root / "etc/apt/sources.list.d/debian.sources").write_text(
        _SOURCES.format(mirror=mirror, security=security), encoding="utf-8")
    (root / "etc/apt/sources.list").unlink(missing_ok=True)


def _customise(root: Path) -> None:
    """Image tweaks: masked units, no shared host keys or machine-id."""
    unit = root / "etc/systemd/system/beffroi-ssh-keygen.service"
    unit.write_text(_KEYGEN_UNIT, encoding="utf-8")
    wants = root / "etc/systemd/system/multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    (wants / "beffroi-ssh-keygen.service").symlink_to(
        "/etc/systemd/system/beffroi-ssh-keygen.service")
    dropin = root / "etc/systemd/system/chrony.service.d"
    dropin.mkdir(parents=True, exist_ok=True)
    (dropin / "beffroi-lab.conf").write_text(_CHRONY_DROPIN, encoding="utf-8")
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    for name in _MASKED_UNITS:
        link = root / "etc/systemd/system" / name
        if link.exists() or link.is_symlink():
            link.unlink()
        link.symlink_to("/dev/null")
    (root / "etc/machine-id").write_text("", encoding="utf-8")
    dbus_id = root / "var/lib/dbus/machine-id"
    if dbus_id.exists() or dbus_id.is_symlink():
        dbus_id.unlink()
    (root / "etc/hostname").write_text("beffroi-lab\n", encoding="utf-8")
    # No per-login user manager: on this host's cgroup v1 (hybrid) systemd in a container never
    # sees user@0 stop, so an SSH login arriving as it stops waits ~2 min (measured here).
    for pam in (root / "etc/pam.d").glob("common-session*"):
        lines = pam.read_text(encoding="utf-8").splitlines(keepends=True)
        pam.write_text("".join(ln for ln in lines if "pam_systemd.so" not in ln),
                       encoding="utf-8")
    for deb in (root / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()


_POLICY_RC = "#!/bin/sh\n# No service starts inside the build chroot.\nexit 101\n"


def _chroot_apt(root: Path, progress: Callable[[str], None]) -> None:
    """apt-get install PACKAGES inside the debootstrapped root (proc mounted, no daemons)."""
    (root / "etc/dpkg/dpkg.cfg.d/01-beffroi-nodoc").write_text(_DPKG_NODOC, encoding="utf-8")
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text(_POLICY_RC, encoding="utf-8")
    policy.chmod(0o755)
    proc = root / "proc"
    subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
    try:
        env = ["env", "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C.UTF-8",
               "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]
        _stream(["chroot", str(root), *env, "apt-get", "update"], progress, "apt-get update")
        _stream(["chroot", str(root), *env, "apt-get", "-y", "-o", "Dpkg::Use-Pty=0",
                 "dist-upgrade"], progress, "apt-get dist-upgrade (security updates)")
        _stream(["chroot", str(root), *env, "apt-get", "install", "-y", "-o",
                 "Dpkg::Use-Pty=0", "--no-install-recommends", *PACKAGES], progress,
                "apt-get install of the lab packages")
        _stream(["chroot", str(root), *env, "apt-get", "clean"], progress, "apt-get clean")
    finally:
        subprocess.run(["umount", "-l", str(proc)], check=False)
        policy.unlink(missing_ok=True)


def build_tarball(progress: Callable[[str], None], mirror: str | None = None) -> Path:
    """debootstrap minbase, apt-get the lab packages, customise, tar it into the cache."""
    if shutil.which("debootstrap") is None:
        raise LabError("debootstrap is not installed: run `make bootstrap` "
                       "(it is in scripts/apt-packages.txt)")
    mirror = mirror or debian_mirror()
    target = tarball_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rootfs-", dir=target.parent) as tmp:
        root = Path(tmp) / "rootfs"
        # minbase alone: debootstrap's own resolver trips on big --include sets; apt does not.
        try:
            _stream(["debootstrap", "--variant=minbase", "--components=main", SUITE,
                     str(root), mirror], progress, f"debootstrap {SUITE} from {mirror}")
        except LabError:
            log = root / "debootstrap/debootstrap.log"
            if log.is_file():
                shutil.copy(log, target.parent / "debootstrap-failed.log")
            raise
        _write_sources(root, mirror)
        _chroot_apt(root, progress)
        progress("customising the image")
        _customise(root)
        partial = target.with_suffix(".tar.partial")
        progress(f"writing {target}")
        _stream(["tar", "--numeric-owner", "--xattrs", "-C", str(root), "-cf", str(partial),
                 "."], progress, "tar of the root filesystem")
        partial.rename(target)  # atomic: a half-written tarball is never taken as the cache
    for old in target.parent.glob(f"beffroi-lab-{SUITE}-*.tar"):
        if old != target:
            old.unlink()  # an older recipe's tarball is never used again
    return target


def import_tarball(tarball: Path, name: str = IMAGE_NAME) -> None:
    """`podman import` the tarball with systemd as the command and the recipe label.

    Never `rmi -f` the old image: that would delete every container still using it (other labs,
    other tools). Importing under the same name only moves the tag; the old image stays, untagged,
    until its containers are gone (`podman image prune` reclaims it).
    """
    podman.run(["import",
                "--change", 'CMD ["/lib/systemd/systemd"]',
                "--change", "STOPSIGNAL=SIGRTMIN+3",
                "--change", f"LABEL {RECIPE_LABEL}={recipe_hash()}",
                str(tarball), name], timeout=900)


def ensure_image(progress: Callable[[str], None], *, rebuild: bool = False,
                 name: str = IMAGE_NAME) -> ImageResult:
    """The lab image, built or imported only when missing (or when rebuild is asked)."""
    start = time.monotonic()
    podman.require_podman()
    lock = cache_dir() / "images" / ".lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("w") as fh:
        # Two `lab up` at once (tests, Molecule, a person) build or import once, not twice.
        fcntl.flock(fh, fcntl.LOCK_EX)
        return _ensure_image(progress, rebuild, name, start)


def _ensure_image(progress: Callable[[str], None], rebuild: bool, name: str,
                  start: float) -> ImageResult:
    tarball = tarball_path()
    if not rebuild and _image_recipe(name) == recipe_hash():
        return ImageResult(name, tarball, "present", time.monotonic() - start)
    source = "imported"
    if rebuild or not tarball.is_file():
        progress("debootstrap: cold build, a few minutes")
        build_tarball(progress)
        source = "built"
    progress(f"podman import {tarball.name}")
    import_tarball(tarball, name)
    return ImageResult(name, tarball, source, time.monotonic() - start)
