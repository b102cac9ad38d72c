"""Startup repair: write, through the camera's own SegmentWriter, every file a crashed
recorder left behind (kill -9, power loss) before the live recorder starts."""

from __future__ import annotations

from recorder.index import Segment
from recorder.writer import NAME_RE, SegmentWriter


def repair_unindexed(writer: SegmentWriter) -> int:
    """Index every unindexed segment file of the writer's camera, oldest first.

    Files are torn MPEG-TS that still play; each gets a `recording` register entry marked
    repaired, continuing from its run's last indexed segment. Stale segment lists of dead
    runs are removed. Returns the number of files found unindexed.
    """
    st, cam = writer.state, writer.camera
    if not writer.out_dir.is_dir():
        return 0
    root = st.config.storage_root
    files = sorted(p for p in writer.out_dir.glob(f"{cam.id}_*.ts")
                   if not st.index.has_path(str(p.relative_to(root))))
    last_of_run: dict[str, Segment | None] = {}
    for path in files:
        m = NAME_RE.match(path.name)
        if not m:
            continue
        run = m["run"]
        if last_of_run.get(run) is None:
            # continue from the run's last indexed segment, if any
            prev = [s for s in st.index.segments(cam.id) if s.run == run]
            last_of_run[run] = prev[-1] if prev else None
        seg = writer.write_unlisted(path, last_of_run[run])
        if seg is not None:
            last_of_run[run] = seg
    for stale in (st.config.state_dir / "runs" / cam.id).glob("*.csv"):
        stale.unlink()
    return len(files)
