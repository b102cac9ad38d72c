"""Scale benchmark: a department of 725 communes, validated and rendered in one process.

    .venv/bin/python benchmarks/scale.py [--communes 725] [--keep DIR]

Generation uses `site new` logic (allocation, template, fresh WireGuard keys, vaulted secrets)
and is not timed; then one process loads + validates the department and renders every commune.
Prints communes/s and totals; the target is ≤ 5 s for 725 communes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

# The project's packages first: this folder's recorder.py is not the `recorder` package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from beffroi.findings import has_errors
from beffroi.inventory import SITES_DIR, VAULT_DIR, load_inventory
from beffroi.render import render_site
from beffroi.sitenew import prepare_site, write_site
from beffroi.validate import check_inventory

REPO = Path(__file__).resolve().parents[1]
# The example inventory is encrypted with the lab's published test password: named explicitly
# (Beffroi has no fallback password).
os.environ["BEFFROI_VAULT_PASSWORD_FILE"] = str(REPO / "lab" / "test-vault-password")


def _wall_sees_every_commune(path: Path) -> None:
    """Moselle's wall recipients may be scoped to Moselle's communes, which a generated
    department does not have: there each recipient sees every commune ("*")."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    for person in (doc.get("wall") or {}).get("recipients", []):
        person["cameras"] = ["*"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")


def generate(root: Path, communes: int) -> float:
    """Copy the Moselle defaults and add `communes` sites; returns seconds spent."""
    start = time.perf_counter()
    src = REPO / "inventories" / "moselle"
    root.mkdir(parents=True)
    for name in ("department.yml", "crisis-cell.yml", "site-template.yml.j2"):
        shutil.copy(src / name, root / name)
    _wall_sees_every_commune(root / "crisis-cell.yml")
    (root / VAULT_DIR).mkdir()
    shutil.copy(src / VAULT_DIR / "crisis-cell.yml", root / VAULT_DIR / "crisis-cell.yml")
    (root / SITES_DIR).mkdir()
    inv = load_inventory(root)
    for n in range(1, communes + 1):
        prepared = prepare_site(inv, f"Commune {n:03d}", n, mayor=f"Maire Numéro{n}",
                                insee=f"57{n:03d}", population=500)
        write_site(inv, prepared)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=725)
    parser.add_argument("--keep", type=Path, help="keep the generated inventory here")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="beffroi-scale-")) / "inv"
    print(f"generating {args.communes} communes in {base} (site new logic, not timed) …")
    gen = generate(base, args.communes)
    print(f"  generated in {gen:.1f} s")

    t0 = time.perf_counter()
    inv = load_inventory(base)
    t1 = time.perf_counter()
    findings = check_inventory(inv)
    t2 = time.perf_counter()
    files = 0
    for slug in inv.sites:
        files += len(render_site(inv, slug))
    t3 = time.perf_counter()
    total = t3 - t0
    print(f"load      {t1 - t0:6.2f} s")
    print(f"validate  {t2 - t1:6.2f} s  ({len(findings)} findings, errors: {has_errors(findings)})")
    print(f"render    {t3 - t2:6.2f} s  ({files} files)")
    print(f"total     {total:6.2f} s  for {len(inv.sites)} communes → "
          f"{len(inv.sites) / total:.0f} communes/s (target ≤ 5 s: ratio {total / 5:.2f})")
    if not args.keep:
        shutil.rmtree(base.parent)


if __name__ == "__main__":
    main()
