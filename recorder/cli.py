"""`recorder` command line: run the service, validate config, verify, export, holds, purge.

Exit codes: 0 success, 1 failure (invalid config, broken chain, refused action), 2 usage error.
Errors are one readable message on stderr naming file, key and rule id, never a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import pwd
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from recorder import config as cfgmod
from recorder import keys, passwords, timeutil
from recorder.config import User
from recorder.export import Auth
from recorder.state import State

# argon2id of a random string: checked for unknown accounts so they cost the same time
_DUMMY_HASH = ("$argon2id$v=19$m=65536,t=3,p=4$UxNxgLcK5EZp0/fR8PX/Cg$"
               "14YgDZ4JVCuYoVpq5pylA+R2Nr2cMXMlhuw778OqSX8")

DESCRIPTION = """\
Beffroi recorder: records the commune's cameras (stream copy, CAM-6), keeps the register
(REG-1) and the journal (JRN-1/2), serves authorised people over HTTP(S) (ACC-*), exports
evidence with a signed manifest (EXP-*), relays live video to the crisis cell (ACC-4).

commands:
  run            run the recording service (one supervised ffmpeg per camera, API, purge)
  relay          run the live-only RTSP relay for the crisis cell (gst-rtsp-server)
  wall           run the crisis-cell live wall (check-wall validates its file)
  check-config   validate a config file (exit 0 valid, 1 invalid); used by Ansible validate:
  verify         check register + journal chains, register against storage, every segment's
                 SHA-256, chain heads against the signed checkpoints (--witness FILE)
  checkpoint     sign the register and journal heads into checkpoint_dir (--latest: print it)
  verify-export  check an export directory (manifest signature + every file's SHA-256)
  export         copy a time range of cameras bit-exact with a signed manifest (EXP-1/2)
  redact         EXP-5: blur zones of an export into a marked, re-encoded derivative
  hold           add / list / release legal holds (requisition reference + time range)
  purge          run retention once (age RET-1/RET-2, disk pressure, journal JRN-2)
  incident       raise an incident by hand (camera, type, comment): routed to the partners
  events         list recent events and their deliveries; acknowledge one (ack)
  keygen         create the Ed25519 signing key
  hash-password  read a password on stdin, print its argon2id hash (ACC-5)
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="recorder", description=DESCRIPTION,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    def with_config(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--config", "-c", required=True, type=Path,
                        help="recorder TOML config (e.g. /etc/beffroi/recorder.toml)")

    sp = sub.add_parser("run", help="run the recording service")
    with_config(sp)
    sp.add_argument("--log-level", default="INFO")
    sp = sub.add_parser("relay", help="run the live-only RTSP relay (crisis cell)")
    with_config(sp)
    sp.add_argument("--log-level", default="INFO")
    sp = sub.add_parser("wall", help="run the crisis-cell live wall (HTTPS, live only)")
    sp.add_argument("--config", "-c", required=True, type=Path,
                    help="wall JSON config (e.g. /etc/beffroi/wall.json)")
    sp.add_argument("--log-level", default="INFO")
    sp = sub.add_parser("check-wall", help="validate a wall config file")
    sp.add_argument("file", type=Path)
    sp = sub.add_parser("check-config", help="validate a config file")
    sp.add_argument("file", type=Path)
    sp = sub.add_parser("verify", help="verify chains, register against storage, checkpoints")
    with_config(sp)
    sp.add_argument("--witness", type=Path,
                    help="a checkpoint held off the NVR (from `recorder checkpoint --latest`): "
                         "the chains must still contain the heads it saw (JRN-2)")
    sp = sub.add_parser("checkpoint", help="sign the register and journal heads (JRN-2)")
    with_config(sp)
    sp.add_argument("--latest", action="store_true",
                    help="print the latest stored checkpoint (for the department's monitoring) "
                         "instead of writing a new one")
    sp = sub.add_parser("verify-export", help="verify an export directory")
    sp.add_argument("dir", type=Path)
    sp.add_argument("--public-key", type=Path,
                    help="expected NVR public key (PEM); otherwise the manifest's key is used "
                         "and its fingerprint printed for you to compare")
    sp = sub.add_parser("export", help="export a time range bit-exact (EXP-1/2/3)")
    with_config(sp)
    sp.add_argument("--camera", action="append", required=True,
                    help="camera id (repeat for several)")
    sp.add_argument("--from", dest="start", required=True, help="ISO 8601 start (UTC if no "
                    "offset)")
    sp.add_argument("--to", dest="end", required=True, help="ISO 8601 end")
    sp.add_argument("--out", required=True, type=Path, help="new directory to create")
    sp.add_argument("--user", required=True, help="account id of the exporter (EXP-2)")
    _auth_args(sp)
    sp.add_argument("--requisition", help="requisition reference: also registers a "
                    "transmission to the parquet (REG-1)")
    sp.add_argument("--reason", help="written reason of the export (required unless "
                    "--requisition is given; journaled, EXP-2)")
    sp.add_argument("--wait", type=float, default=None,
                    help="seconds to wait for segments still being recorded (default: 2 "
                         "segment lengths)")
    sp = sub.add_parser("redact", help="EXP-5 zone-blurred derivative of an export")
    with_config(sp)
    sp.add_argument("--export", required=True, type=Path, help="a verified export directory")
    sp.add_argument("--zone", action="append", required=True, metavar="X,Y,W,H",
                    help="rectangle to blur, in pixels (repeat for several)")
    sp.add_argument("--out", required=True, type=Path, help="new directory to create")
    sp.add_argument("--user", required=True, help="maire or adjoint producing the extract")
    _auth_args(sp)
    sp = sub.add_parser("hold", help="legal holds")
    hsub = sp.add_subparsers(dest="hold_command", metavar="ACTION", parser_class=_Parser)
    hsub.required = True
    hp = hsub.add_parser("add", help="place a hold")
    with_config(hp)
    hp.add_argument("--ref", required=True, help="judicial requisition reference")
    hp.add_argument("--camera", default="*", help="camera id or * (default)")
    hp.add_argument("--from", dest="start", required=True)
    hp.add_argument("--to", dest="end", required=True)
    hp.add_argument("--by", default=getpass.getuser(), help="who places it (journaled)")
    hp = hsub.add_parser("list", help="list active holds")
    with_config(hp)
    hp.add_argument("--all", action="store_true", help="include released holds")
    hp = hsub.add_parser("release", help="release a hold")
    with_config(hp)
    hp.add_argument("id", type=int)
    hp.add_argument("--by", default=getpass.getuser())
    sp = sub.add_parser("purge", help="run retention once")
    with_config(sp)
    sp.add_argument("--now", help="ISO 8601 instant to use as now (tests, dry audits)")
    sp.add_argument("--max-share", type=float, default=None,
                    help="lift recorder.max_purge_share for this pass (0..1], e.g. after a long "
                         "outage; journaled with --by")
    sp.add_argument("--by", default=getpass.getuser(), help="who runs it (journaled)")
    _event_args(sub, with_config)
    sp = sub.add_parser("keygen", help="create the Ed25519 signing key")
    sp.add_argument("path", type=Path)
    sp.add_argument("--force", action="store_true", help="replace an existing key")
    sub.add_parser("hash-password", help="read a password on stdin, print an argon2id hash")
    return p


def _event_args(sub: argparse._SubParsersAction[_Parser],
                with_config: Callable[[argparse.ArgumentParser], None]) -> None:
    """`recorder incident` and `recorder events list|ack` (issue 15)."""
    from recorder.events.kinds import INCIDENT_TYPES

    sp = sub.add_parser("incident", help="raise an incident by hand (routed to partners)")
    with_config(sp)
    sp.add_argument("--camera", required=True, help="camera id")
    sp.add_argument("--type", required=True, choices=INCIDENT_TYPES, dest="incident_type")
    sp.add_argument("--comment", required=True, help="what the operator saw (one line)")
    sp.add_argument("--by", default=getpass.getuser(), help="account id of the operator")
    sp = sub.add_parser("events", help="recent events; acknowledge one")
    esub = sp.add_subparsers(dest="events_command", metavar="ACTION", parser_class=_Parser)
    esub.required = True
    ep = esub.add_parser("list", help="recent events with deliveries and acknowledgements")
    with_config(ep)
    ep.add_argument("--limit", type=int, default=50)
    ep = esub.add_parser("ack", help="acknowledge an event (journaled)")
    with_config(ep)
    ep.add_argument("id", help="event id")
    ep.add_argument("--by", default=getpass.getuser(), help="account id (journaled)")
    ep.add_argument("--note", default="", help="one line")


def _events(state: State, args: argparse.Namespace) -> int:
    from recorder.events import incident

    try:
        if args.command == "incident":
            event, routes = incident.raise_incident(state, args.camera, args.incident_type,
                                                    args.comment, args.by)
            print(f"incident {event.id} raised on {args.camera}: queued for "
                  f"{', '.join(routes) or 'no route'}")
            return 0
        if args.events_command == "ack":
            entry = incident.acknowledge(state, args.id, args.by, args.note)
            print(f"{args.id} acknowledged by {args.by} (journal seq {entry['seq']})")
            return 0
    except incident.IncidentError as exc:
        return _err(str(exc))
    for row in incident.history(state, args.limit):
        print(json.dumps(row, ensure_ascii=False, sort_keys=True))
    return 0


def _auth_args(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--password-file", type=Path, metavar="FILE",
                    help="read the --user account's password from FILE's first line ('-': "
                         "stdin); without it the password is asked on the terminal")
    sp.add_argument("--as-admin", action="store_true",
                    help="root only: act for the --user account without its password; the "
                         "real OS user (SUDO_USER or login name) is journaled")


def _err(message: str) -> int:
    print(f"recorder: {message}", file=sys.stderr)
    return 1


def _time(text: str, what: str) -> float:
    try:
        return timeutil.parse_iso(text)
    except ValueError as exc:
        raise SystemExit(_usage(f"{what}: {exc}")) from None


def _usage(message: str) -> int:
    print(f"recorder: error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `recorder` console script."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except cfgmod.ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except keys.KeyError_ as exc:
        return _err(str(exc))
    except OSError as exc:  # unwritable storage/state, missing ffmpeg, port in use ...
        where = f"{exc.filename}: " if exc.filename else ""
        return _err(f"{where}{exc.strerror or exc}")
    except KeyboardInterrupt:
        return 130


def _wall(args: argparse.Namespace) -> int:
    """`recorder wall` / `recorder check-wall`: the crisis-cell wall (recorder/wall/)."""
    from recorder.wall import config as wallconf
    try:
        conf = wallconf.load(args.config if args.command == "wall" else args.file)
    except wallconf.WallConfigError as exc:
        return _err(str(exc))
    if args.command == "check-wall":
        print(f"{conf.source}: valid ({len(conf.file.communes)} communes, "
              f"{len(conf.file.recipients)} recipients)")
        return 0
    from recorder import logs
    from recorder.wall import app
    logs.setup(args.log_level)
    return app.serve(conf)


def _dispatch(args: argparse.Namespace) -> int:
    cmd = args.command
    if cmd in ("wall", "check-wall"):
        return _wall(args)
    if cmd == "check-config":
        conf = cfgmod.load(args.file)
        if conf.signing_key.exists():  # rendered before the key is installed: checked at start
            keys.check_private(conf.signing_key)
        print(f"{args.file}: valid ({len(conf.cameras)} cameras, {len(conf.users)} accounts)")
        return 0
    if cmd == "keygen":
        key = keys.generate(args.path, overwrite=args.force)
        print(f"{args.path}: Ed25519 key {keys.fingerprint(key.public_key())}")
        return 0
    if cmd == "hash-password":
        secret = sys.stdin.readline().rstrip("\r\n")
        try:
            print(passwords.hash_password(secret))
        except ValueError as exc:
            return _err(str(exc))
        return 0
    if cmd == "verify-export":
        from recorder import export
        pub = args.public_key.read_text() if args.public_key else None
        ok, message = export.verify_export(args.dir, pub)
        print(message, file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    if getattr(args, "as_admin", False) and os.geteuid() != 0:
        return _err("[EXP-2] --as-admin is for a local administrator acting as root (sudo); "
                    "otherwise give the account's own password")
    if cmd == "export":
        from recorder import export
        try:
            args.reason, args.requisition = export.check_reason(args.reason, args.requisition)
        except export.ExportError as exc:
            return _usage(str(exc))
    conf = cfgmod.load(args.config)
    if cmd == "run":
        from recorder import logs, service
        logs.setup(args.log_level)
        return service.run(conf)
    if cmd == "relay":
        from recorder import logs, relay
        logs.setup(args.log_level)
        return relay.run(conf)
    from recorder.state import open_state

    state = open_state(conf)
    try:
        if cmd == "verify":
            from recorder.verify import verify_all
            report = verify_all(state, args.witness)
            if report.problem:
                _verify_failed_event(state, report.problem)
                return _err(f"verify FAILED: {report.problem}")
            print(f"verify OK: register {report.register_entries} entries, journal "
                  f"{report.journal_entries} entries, {report.segments} segments; "
                  f"{report.checkpoint}")
            return 0
        if cmd == "checkpoint":
            from recorder import checkpoint
            try:
                cp = (checkpoint.latest(conf.checkpoint_dir) if args.latest
                      else checkpoint.write(state))
            except ValueError as exc:
                return _err(str(exc))
            if cp is None:
                return _err(f"{conf.checkpoint_dir}: no checkpoint written yet")
            print(json.dumps(cp, sort_keys=True, ensure_ascii=False))
            return 0
        if cmd == "purge":
            from recorder import retention
            at = _time(args.now, "--now") if args.now else timeutil.now()
            if args.max_share is not None and not 0 < args.max_share <= 1:
                return _usage("--max-share must be in (0, 1]")
            try:
                result = retention.purge(state, at, max_share=args.max_share, by=args.by)
            except retention.PurgeRefused as exc:
                return _err(str(exc))
            print(json.dumps(result.summary(), indent=2))
            return 1 if result.alarm or result.alarm_mass_purge else 0
        if cmd == "hold":
            return _hold(state, args)
        if cmd in ("incident", "events"):
            return _events(state, args)
        if cmd == "redact":
            from recorder import redact
            user, _ = _authenticate(state, args, "redact")
            try:
                zones = [redact.Zone.parse(z) for z in args.zone]
                notice = redact.redact(state, args.export, zones, args.out, user)
            except redact.RedactError as exc:
                return _err(str(exc))
            print(f"{args.out}: {len(notice['files'])} re-encoded files with "
                  f"{len(zones)} blurred zones (EXP-5 derivative, not evidence)")
            return 0
        if cmd == "export":
            from recorder import export
            start, end = _time(args.start, "--from"), _time(args.end, "--to")
            user, auth = _authenticate(state, args, "export")
            try:
                manifest = export.export(
                    state, cameras=args.camera, start=start, end=end, out=args.out, user=user,
                    requisition=args.requisition, wait=args.wait, via="cli",
                    reason=args.reason, auth=auth)
            except export.ExportError as exc:
                return _err(str(exc))
            print(f"{args.out}: {len(manifest['files'])} files exported, manifest signed "
                  f"({manifest['public_key_fingerprint']})")
            return 0
    finally:
        state.close()
    return _usage(f"unknown command {cmd}")


def _verify_failed_event(state: State, problem: str) -> None:
    """A failed verify is an event too: spooled for the running service to deliver."""
    from recorder.events import event as ev
    from recorder.events.router import Emitter

    try:
        Emitter(state.config, state.journal).emit(ev.make(
            "verify_failed", state.config.site, f"recorder verify : {problem}"[:300]))
    except (OSError, RuntimeError) as exc:  # the verdict is printed whatever happens here
        print(f"recorder: could not raise the verify_failed event: {exc}", file=sys.stderr)


def _os_user() -> str:
    """Who is really at the keyboard: sudo's caller, else the login name of this uid."""
    sudo = os.environ.get("SUDO_USER")
    if sudo:
        return sudo
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid-{os.getuid()}"


def _authenticate(state: State, args: argparse.Namespace, action: str) -> tuple[User, Auth]:
    """The --user account, proven by its password or by a root --as-admin (EXP-2, JRN-1).

    Raises SystemExit(1) on a wrong password or unknown account (journaled, same answer for
    both), SystemExit(2) when no password source is available.
    """
    user = state.config.user(args.user)
    if args.as_admin:  # root was checked before the config was read
        if user is None:
            raise SystemExit(_err(f"[EXP-2] --user {args.user!r}: no such account"))
        return user, Auth("local-admin", _os_user(), os.getuid())
    if args.password_file is not None:
        if str(args.password_file) == "-":
            secret = sys.stdin.readline()
        else:
            with open(args.password_file, encoding="utf-8") as fh:
                secret = fh.readline()
    elif sys.stdin.isatty():
        secret = getpass.getpass(f"password of {args.user}: ")
    else:
        raise SystemExit(_usage("[EXP-2] the exporter's password is needed: give "
                                "--password-file FILE (or '-' for stdin), run it on a "
                                "terminal, or --as-admin as root"))
    secret = secret.rstrip("\r\n")
    # an unknown account costs the same argon2 work and gets the same answer
    ok = passwords.check_password(user.password_hash if user else _DUMMY_HASH, secret)
    if user is None or not ok:
        state.journal.append("login_failed", {"user_claimed": args.user[:64], "via": "cli",
                                              "action": action, "os_user": _os_user()})
        raise SystemExit(_err(f"[EXP-2] unknown account or wrong password for --user "
                              f"{args.user!r} (journaled)"))
    return user, Auth("password")


def _hold(state: State, args: argparse.Namespace) -> int:
    from recorder import retention

    if args.hold_command == "add":
        if args.camera != "*":
            try:
                state.config.camera(args.camera)
            except KeyError:
                return _err(f"--camera: unknown camera {args.camera!r}")
        start, end = _time(args.start, "--from"), _time(args.end, "--to")
        if end <= start:
            return _usage("--to must be after --from")
        hold = retention.add_hold(state, args.ref, args.camera, start, end, args.by)
        print(f"hold {hold.id} placed: {hold.ref} {hold.camera} {timeutil.iso(hold.start)} .. "
              f"{timeutil.iso(hold.end)}")
        return 0
    if args.hold_command == "list":
        for h in state.index.holds(active_only=not args.all):
            status = "active" if h.released is None else f"released {timeutil.iso(h.released)}"
            print(f"{h.id}\t{h.ref}\t{h.camera}\t{timeutil.iso(h.start)}\t{timeutil.iso(h.end)}"
                  f"\t{h.created_by}\t{status}")
        return 0
    released = retention.release_hold(state, args.id, args.by)
    if released is None:
        return _err(f"no active hold with id {args.id}")
    print(f"hold {released.id} ({released.ref}) released")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
