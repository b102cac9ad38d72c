"""Fuzz benchmark: many malformed inventories, each of which Beffroi must refuse (issue 9).

    .venv/bin/python benchmarks/fuzz_inventory.py [--examples 2000] [--seed 9] [--timeout 15]
        [--inventory DIR] [--only CLASS] [--show N]

Not run in CI. Every case is one mutation of a private copy of the Moselle inventory (by default
the one next to the `beffroi` package imported, so `PYTHONPATH=<old checkout>` measures that
checkout against its own examples). Each case runs `beffroi validate DIR --format json` in a
forked child (memory capped at 1 GiB, killed after --timeout s) and is counted as:

- clear error: exit 1 with ≥ 1 located error finding (file, line ≥ 1, rule, citation), or a usage
  error (exit 2) with a message; "expected rule" counts those naming the rule the class asks for
  (any rule for injection and filesystem cases);
- wrongly accepted: exit 0 — the malformed inventory validated;
- unclear: exit 1/2 without a located finding or message;
- crash: exit 3, any other code, a signal, or a traceback in the output;
- hang: still running after --timeout seconds.

Classes are those of issue 9: injection / control characters in free text, spellings of
forbidden analytics, legal basis and legal-field types, accounts, isolation (overlaps, admin
networks, ports, hub pools, retention, time zone, NTP names, wireless), keys, filesystem oddities.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# The project's packages first: the script's own folder holds benchmarks/recorder.py, which would
# otherwise be imported as the `recorder` package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import beffroi

EV, DEPT, CELL = "sites/evrange.yml", "department.yml", "crisis-cell.yml"
MEMORY_CAP = 1 << 30


@dataclass(frozen=True)
class Case:
    """One malformed inventory: its class, the rule that must refuse it, how to make it."""

    klass: str
    rule: str  # "" when any located error will do (injection, filesystem)
    what: str
    apply: Callable[[Path], None]


def _load(root: Path, name: str) -> Any:
    return yaml.safe_load((root / name).read_text(encoding="utf-8"))


def _save(root: Path, name: str, data: Any) -> None:
    (root / name).write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                             encoding="utf-8")


def _edit(name: str, change: Callable[[Any], None]) -> Callable[[Path], None]:
    def apply(root: Path) -> None:
        data = _load(root, name)
        change(data)
        _save(root, name, data)
    return apply


def _strings(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every string value of a document."""
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _strings(v, (*path, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _strings(v, (*path, i))]
    return [path] if isinstance(node, str) else []


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


# --- generators, one per class of issue 9 --------------------------------------------------------
INJECTIONS = ["Évrange\nallow all", "x\nserver 203.0.113.66 iburst", "x\r\nusername backdoor "
              "privilege 15 secret 0 hunter2", "a\x00b", "\u202eegnarvÉ", "x\tinterface Vlan1",
              "x\x1b[2J", "x\u2028y", "x\x7fy", "A" * 10_000 + "\nallow all"]
STEMS = ["facial_recognition", "reconnaissance_faciale", "FACE-RECOGNITION", "LAPI",
         "license_plate_recognition", "behaviour_analysis", "loitering_detection",
         "emotion_detection", "crowd_counting", "gunshot_audio_detection", "motion_detection",
         "people_counting", "line_crossing", "intrusion", "anpr", "Face Detection", "gait",
         "audio_classification", "comportement_anormal", "détection_visage"]
PEM = "-----BEGIN {}PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END {}PRIVATE KEY-----"


def injection(rng: random.Random, site: Any) -> Case:
    path = rng.choice(_strings(site))
    value = rng.choice(INJECTIONS)
    return Case("injection", "", f"{'.'.join(map(str, path))} = {value[:30]!r}",
                _edit(EV, lambda d: _set(d, path, value)))


def _respell(rng: random.Random, word: str) -> str:
    ops = [str.upper, str.lower, str.title, lambda w: w.replace("_", "-"),
           lambda w: w.replace("_", " "), lambda w: w + "_v2", lambda w: f" {w} ",
           lambda w: w.replace("e", "é", 1), lambda w: w]
    return str(rng.choice(ops)(word))


def analytics(rng: random.Random, site: Any) -> Case:
    name = _respell(rng, rng.choice(STEMS))
    cam = rng.randrange(len(site["cameras"]))
    as_text = rng.random() < 0.15

    def change(d: Any) -> None:
        d["cameras"][cam]["analytics"] = name if as_text else [name]
    return Case("analytics", "CAM-6", f"cameras[{cam}].analytics = {name!r}", _edit(EV, change))


def legal(rng: random.Random, site: Any) -> Case:
    kind = rng.randrange(5)
    if kind == 0:
        basis: Any = rng.choice(["Conseil départemental", "société privée", "CSI L252-3",
                                 "Convention PM/État", ""])
    elif kind == 1:
        basis = {"text": rng.choice(["code_securite_interieure", "loi", "csi", "CSI"]),
                 "article": rng.choice(["L252-3", "article premier", "", "12"])}
    else:
        basis = None

    def change(d: Any) -> None:
        recipient = d["authorization"]["recipients"][0]
        if kind in (0, 1):
            recipient.update(kind="other", legal_basis=basis)
        elif kind == 2:
            del recipient["kind"]
        elif kind == 3:
            d["authorization"]["purposes"][0] = "Prévention des atteintes aux biens"
        else:
            d["authorization"]["purposes"] = "1, 5"
    rule = "AUTH-3" if kind >= 3 else "ACC-3"
    return Case("legal", rule, f"variant {kind}: {basis!r}", _edit(EV, change))


def accounts(rng: random.Random, site: Any) -> Case:
    i = rng.randrange(len(site["habilitations"]))
    j = rng.choice([k for k in range(len(site["habilitations"])) if k != i])
    name = site["habilitations"][i]["name"]
    variant = rng.choice([name.upper(), name.lower(), f"  {name} ", name.replace(" ", "  "),
                          name.replace("é", "e").replace("É", "E").replace("è", "e")])

    def change(d: Any) -> None:
        d["habilitations"][j].update(name=variant, email=d["habilitations"][i].get("email", ""))
    return Case("accounts", "ACC-1", f"habilitations[{j}].name = {variant!r}", _edit(EV, change))


def isolation(rng: random.Random, site: Any) -> Case:
    kind = rng.randrange(9)
    port = rng.randrange(1, 65536)
    public = f"{rng.choice([1, 8, 45, 80, 203, 198])}.{rng.randrange(256)}.0.0/16"
    choices: list[tuple[str, str, Callable[[Path], None]]] = [
        ("ENG-OVERLAP", "management subnet over the camera subnet",
         _edit(EV, lambda d: _set(d, ("network", "management_vlan", "subnet"), rng.choice(
             ["10.57.0.64/26", "10.57.0.64/27", "10.57.0.72/29"])))),
        ("ENG-ADMIN-NET", f"admin_networks {public} / 0.0.0.0/0",
         _edit(DEPT, lambda d: _set(d, ("defaults", "admin_networks"),
                                    [rng.choice(["0.0.0.0/0", public])]))),
        ("ACC-4", f"live relay = API port {port}",
         _edit(DEPT, lambda d: d["defaults"].update(live_relay_port=port,
                                                    recorder_api_port=port))),
        ("ENG-POOL", "hub outside its pools",
         _edit(CELL, lambda d: _set(d, (rng.choice(["vpn_address", "wan_address"]),),
                                    rng.choice(["192.168.1.1", "8.8.8.8"])))),
        ("RET-1", "department retention > 30 days",
         _edit(DEPT, lambda d: _set(d, ("defaults", "retention_days"), rng.randrange(31, 4000)))),
        ("ENG-TIMEZONE", "unknown time zone",
         _edit(DEPT, lambda d: _set(d, ("department", "timezone"), rng.choice(
             ["Europe/Metz", "../../etc/passwd", "Paris", "UTC+1", "europe/paris", ""])))),
        ("TIME-1", "NTP host name",
         _edit(DEPT, lambda d: _set(d, ("time", "ntp_servers"),
                                    ["ntp1.mosellefibre.example", "100.64.0.124"]))),
        ("NET-4", "weak wireless link",
         _edit(EV, lambda d: _set(d, ("network", "link"), {
             "kind": "wireless", "capacity_mbps": 300,
             "encryption": rng.choice(["", "wep", "WEP", "wpa", "wpa2-tkip", "none"])}))),
        ("NET-4", "wireless link without encryption key",
         _edit(EV, lambda d: _set(d, ("network", "link"),
                                  {"kind": "wireless", "capacity_mbps": 300}))),
    ]
    rule, what, apply = choices[kind]
    return Case("isolation", rule, what, apply)


def keys(rng: random.Random, site: Any) -> Case:
    kind = rng.randrange(3)
    if kind == 0:
        path = rng.choice(_strings(site))
        label = rng.choice(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "])
        pem = PEM.format(label, label)
        return Case("keys", "ENG-SECRET", f"PEM in {'.'.join(map(str, path))}",
                    _edit(EV, lambda d: _set(d, path, pem)))
    if kind == 1:
        junk = rng.choice(["my laptop", "ssh-ed25519 AAAA", PEM.format("OPENSSH ", "OPENSSH "),
                           "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGV/szPmyGcxkOS8iZFaQjUjTbFEbrcVs"
                           "fQ1KGeoo8xC a\nssh-rsa AAAA evil"])
        return Case("keys", "ENG-SSH-KEY", f"ssh_public_keys = {junk[:30]!r}",
                    _edit(DEPT, lambda d: _set(d, ("defaults", "admins", 0, "ssh_public_keys"),
                                               [junk])))
    return Case("keys", "ENG-SCHEMA", "small-order WireGuard key",
                _edit(EV, lambda d: _set(d, ("firewall", "wireguard_public_key"),
                                         "A" * 43 + "=")))


def _fifo(root: Path) -> None:
    os.mkfifo(root / "sites" / "fifo.yml")


def _symlink_loop(root: Path) -> None:
    (root / "sites" / "loop.yml").symlink_to(root / "sites" / "loop.yml")


def _dev_zero(root: Path) -> None:
    (root / "sites" / "zero.yml").symlink_to("/dev/zero")


def _sites_is_a_file(root: Path) -> None:
    shutil.rmtree(root / "sites")
    (root / "sites").write_text("not a directory\n")


def _yaml_beside_yml(root: Path) -> None:
    shutil.copy(root / EV, root / "sites" / "evrange-bis.yaml")


def _directory_named_yml(root: Path) -> None:
    (root / "sites" / "dir.yml").mkdir()


def _long_name(root: Path) -> None:
    (root / "sites" / ("x" * 250 + ".yml")).write_text((root / EV).read_text())


def _empty_department(root: Path) -> None:
    (root / DEPT).write_text("")


FILESYSTEM: list[tuple[str, Callable[[Path], None]]] = [
    ("FIFO site file", _fifo), ("symlink loop", _symlink_loop), ("/dev/zero", _dev_zero),
    ("sites/ is a file", _sites_is_a_file), ("*.yaml beside *.yml", _yaml_beside_yml),
    ("directory named *.yml", _directory_named_yml), ("over-long file name", _long_name),
    ("empty department.yml", _empty_department)]
GENERATORS = {"injection": injection, "analytics": analytics, "legal": legal,
              "accounts": accounts, "isolation": isolation, "keys": keys}


def generate(count: int, seed: int, site: Any, only: str | None) -> list[Case]:
    """`count` cases spread evenly over the classes (filesystem cases once each)."""
    rng = random.Random(seed)
    cases = [Case("filesystem", "", what, fn) for what, fn in FILESYSTEM]
    names = [n for n in GENERATORS if only in (None, n)]
    cases = cases if only in (None, "filesystem") else []
    while names and len(cases) < count:
        cases.append(GENERATORS[names[len(cases) % len(names)]](rng, site))
    return cases


# --- running one case in a forked child ---------------------------------------------------------
def _child(root: Path, out: Path) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    from beffroi.cli import main

    buffer = io.StringIO()
    sys.stdout = sys.stderr = buffer
    sys.argv = ["beffroi", "validate", str(root), "--format", "json"]
    code = 3
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    except BaseException:  # anything escaping main() is a crash to count
        import traceback

        buffer.write("Traceback\n" + traceback.format_exc())
    out.write_text(buffer.getvalue(), encoding="utf-8", errors="replace")
    os._exit(code)


def run_case(root: Path, timeout: float) -> tuple[str, str]:
    """(outcome, output) of `beffroi validate root` in a forked, capped child."""
    out = root.parent / "out.txt"
    out.unlink(missing_ok=True)
    pid = os.fork()
    if pid == 0:
        try:
            _child(root, out)
        finally:
            os._exit(3)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return "hang", ""
        time.sleep(0.005)
    text = out.read_text(encoding="utf-8") if out.exists() else ""
    if os.WIFSIGNALED(status):
        return "crash", f"signal {os.WTERMSIG(status)}"
    code = os.WEXITSTATUS(status)
    if code not in (0, 1, 2) or "Traceback" in text:
        return "crash", text
    if code == 0:
        return "accepted", text
    if code == 2:
        return ("clear", text) if text.strip() else ("unclear", text)
    try:
        findings = json.loads(text)
    except ValueError:
        return "unclear", text
    located = [f for f in findings if f.get("severity") == "error" and f.get("rule")
               and f.get("file") and int(f.get("line", 0)) >= 1 and f.get("citation")]
    return ("clear", text) if located else ("unclear", text)


def _rules(text: str) -> set[str]:
    try:
        return {f["rule"] for f in json.loads(text) if f.get("severity") == "error"}
    except (ValueError, TypeError, KeyError):
        return set()


def main() -> int:
    """Generate, run, and print the counts (overall and per class)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--timeout", type=float, default=15.0)
    parser.add_argument("--inventory", type=Path,
                        default=Path(beffroi.__file__).resolve().parents[1] / "inventories"
                        / "moselle")
    parser.add_argument("--only", choices=[*GENERATORS, "filesystem"])
    parser.add_argument("--show", type=int, default=3, help="examples printed per bad outcome")
    args = parser.parse_args()
    os.environ.setdefault("BEFFROI_TODAY", "2026-11-28")
    os.environ.setdefault("COLUMNS", "200")
    from beffroi.cli.app import app  # noqa: F401 — import once, before forking

    site = _load(args.inventory, EV)
    cases = generate(args.examples, args.seed, site, args.only)
    totals: Counter[str] = Counter()
    per_class: dict[str, Counter[str]] = {}
    shown: Counter[str] = Counter()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="beffroi-fuzz-") as tmp:
        for case in cases:
            root = Path(tmp) / "moselle"
            shutil.rmtree(root, ignore_errors=True)
            if root.exists() or root.is_symlink():
                root.unlink()
            shutil.copytree(args.inventory, root, symlinks=True)
            try:
                case.apply(root)
            except Exception as exc:  # a generator bug is reported, not fatal
                print(f"skip {case.klass} {case.what}: {exc}", file=sys.stderr)
                continue
            outcome, text = run_case(root, args.timeout)
            counts = per_class.setdefault(case.klass, Counter())
            for bucket in (totals, counts):
                bucket["cases"] += 1
                bucket[outcome] += 1
                if outcome == "clear" and (not case.rule or case.rule in _rules(text)):
                    bucket["expected rule"] += 1
            if outcome != "clear" and shown[(outcome, case.klass)] < args.show:
                shown[(outcome, case.klass)] += 1
                print(f"  {outcome:9} {case.klass:10} {case.what[:70]}  {text.strip()[:90]!r}")
    seconds = time.perf_counter() - start
    columns = ("cases", "clear", "expected rule", "accepted", "unclear", "crash", "hang")
    header = ("class", "cases", "clear errors", "expected rule", "wrongly accepted", "unclear",
              "crashes", "hangs")
    print(f"\n{beffroi.__file__}  seed {args.seed}  {seconds:.0f} s")
    print("  ".join(f"{h:>16}" for h in header))
    for name, counts in [*sorted(per_class.items()), ("TOTAL", totals)]:
        print("  ".join([f"{name:>16}", *(f"{counts[c]:>16}" for c in columns)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
