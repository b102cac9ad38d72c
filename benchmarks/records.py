"""Records views benchmark (issue 14 §2): a register the size of a month of 60 s segments of
two cameras, then the register page's work: a filtered view, the full chain verify and the
console's incremental verify status (recorder.chaincheck) after one more append. Prints the
times and the ratio full / incremental. Writes in a temporary directory (tmpfs if given).

    .venv/bin/python benchmarks/records.py [--entries 86400] [--dir /dev/shm]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recorder import chaincheck, keys, registerview
from recorder.ledger import Ledger


def main() -> int:
    """Build the register, time each step, print the ratios."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=86400)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        key = keys.generate(Path(tmp) / "k" / "signing.pem")
        reg = Ledger(Path(tmp) / "register", "register", key)
        t0 = time.perf_counter()
        for i in range(args.entries):
            reg.append("recording", {"camera": f"cam{i % 2 + 1}", "path": f"cam/{i}.ts",
                                     "start": "2026-12-01T00:00:00.000Z",
                                     "end": "2026-12-01T00:01:00.000Z", "size": 1 << 20,
                                     "sha256": "0" * 64, "valid": True})
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        view = registerview.view(reg, registerview.Filters(camera="cam2", kind="recording"))
        t_view = time.perf_counter() - t0
        t0 = time.perf_counter()
        rare = registerview.view(reg, registerview.Filters(kind="transmission"))
        t_rare = time.perf_counter() - t0
        public = key.public_key()
        t0 = time.perf_counter()
        n, problem = reg.verify(public)
        t_full = time.perf_counter() - t0
        chaincheck.status(reg, public)  # the first page load pays the full verify once
        reg.append("destruction", {"camera": "cam1", "path": "cam/0.ts"})
        t0 = time.perf_counter()
        n2, problem2 = chaincheck.status(reg, public)
        t_incr = time.perf_counter() - t0
    print(f"register of {args.entries} entries built in {build:.1f} s")
    print(f"newest {len(view.rows)} cam2 recordings: {t_view:.3f} s; a kind found nowhere "
          f"({len(rare.rows)} rows, the whole register read): {t_rare:.3f} s")
    print(f"full verify ({n} entries, problem={problem}): {t_full:.3f} s")
    print(f"incremental verify status after one append ({n2} entries, problem={problem2}): "
          f"{t_incr:.3f} s")
    print(f"ratio full / incremental: {t_full / max(t_incr, 1e-9):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
