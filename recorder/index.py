"""The segment index (SQLite in WAL mode): segments, gaps and legal holds.

Kept in state_dir, apart from the video. The index is a convenience view; the register's signed
`recording` entries are the authority that `recorder verify` checks the index against.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS segments (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  start REAL NOT NULL,
  "end" REAL NOT NULL,
  path TEXT NOT NULL UNIQUE,      -- relative to storage_root
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  valid INTEGER NOT NULL,         -- TIME-1: 1 only if the clock was synchronised
  repaired INTEGER NOT NULL DEFAULT 0,
  run TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'present',   -- present | purged
  purged_at REAL,
  purge_reason TEXT
);
CREATE INDEX IF NOT EXISTS segments_cam_start ON segments(camera, start);
-- last_segment(): a camera's latest end without scanning its whole history
CREATE INDEX IF NOT EXISTS segments_cam_end ON segments(camera, "end");
-- retention: present rows only (purged ones pile up for years), covering what it weighs
CREATE INDEX IF NOT EXISTS segments_present ON segments(status, start, "end", camera, size);
CREATE TABLE IF NOT EXISTS gaps (
  id INTEGER PRIMARY KEY,
  camera TEXT NOT NULL,
  start REAL NOT NULL,
  "end" REAL NOT NULL,
  reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS holds (
  id INTEGER PRIMARY KEY,
  ref TEXT NOT NULL,              -- judicial requisition reference (RET-1)
  camera TEXT NOT NULL,           -- camera id or '*'
  start REAL NOT NULL,
  "end" REAL NOT NULL,
  created REAL NOT NULL,
  created_by TEXT NOT NULL,
  released REAL,
  released_by TEXT
);
CREATE TABLE IF NOT EXISTS exports (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE,      -- absolute export directory on the NVR
  created REAL NOT NULL,
  files TEXT NOT NULL,            -- JSON [{copy, camera, start, end, sha256}] (RET-1 ageing)
  manifest_sha256 TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'present',   -- present | destroyed | missing
  removed_at REAL,
  removal_reason TEXT
);
"""


@dataclass(frozen=True)
class Segment:
    """One recorded file."""

    id: int
    camera: str
    start: float
    end: float
    path: str
    size: int
    sha256: str
    valid: bool
    repaired: bool
    run: str
    status: str

    @property
    def duration(self) -> float:
        """Seconds of video in the segment."""
        return self.end - self.start


@dataclass(frozen=True)
class Gap:
    """A time range of a camera with no recording."""

    camera: str
    start: float
    end: float
    reason: str


@dataclass(frozen=True)
class Hold:
    """A legal hold: a requisition reference protecting a camera's time range from purge."""

    id: int
    ref: str
    camera: str
    start: float
    end: float
    created: float
    created_by: str
    released: float | None

    def covers(self, seg: Segment) -> bool:
        """True when this active hold overlaps the segment."""
        return (self.released is None and self.camera in ("*", seg.camera)
                and seg.start < self.end and seg.end > self.start)


@dataclass(frozen=True)
class ExportCopy:
    """An export bundle written on the NVR: a copy of recordings, under retention (RET-1)."""

    id: int
    path: str
    created: float
    files: tuple[dict[str, Any], ...]
    manifest_sha256: str

    @property
    def oldest_end(self) -> float:
        """End of the oldest copied segment: the copy ages like it (RET-1)."""
        return min((float(f["end"]) for f in self.files), default=self.created)


_SEG_COLS = 'id, camera, start, "end", path, size, sha256, valid, repaired, run, status'


def _seg(row: tuple[Any, ...]) -> Segment:
    return Segment(int(row[0]), str(row[1]), float(row[2]), float(row[3]), str(row[4]),
                   int(row[5]), str(row[6]), bool(row[7]), bool(row[8]), str(row[9]),
                   str(row[10]))


class Index:
    """Thread-safe access to the SQLite index; safe across processes thanks to WAL."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, check_same_thread=False,
                                   isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # an indexed segment survives power loss
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def add_segment(self, camera: str, start: float, end: float, path: str, size: int,
                    sha256: str, valid: bool, repaired: bool, run: str) -> Segment:
        """Insert a closed segment and return it."""
        with self._lock:
            cur = self._db.execute(
                'INSERT INTO segments (camera, start, "end", path, size, sha256, valid, repaired,'
                " run) VALUES (?,?,?,?,?,?,?,?,?)",
                (camera, start, end, path, size, sha256, int(valid), int(repaired), run))
            seg_id = cur.lastrowid
        assert seg_id is not None
        return Segment(seg_id, camera, start, end, path, size, sha256, valid, repaired, run,
                       "present")

    def has_path(self, path: str) -> bool:
        """True when a segment with this relative path is indexed."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM segments WHERE path=?",
                                    (path,)).fetchone() is not None

    def segments(self, camera: str | None = None, start: float | None = None,
                 end: float | None = None, present_only: bool = True) -> list[Segment]:
        """Segments overlapping [start, end), oldest first."""
        sql = f"SELECT {_SEG_COLS} FROM segments WHERE 1=1"
        args: list[object] = []
        if camera is not None:
            sql += " AND camera=?"
            args.append(camera)
        if start is not None:
            sql += ' AND "end" > ?'
            args.append(start)
        if end is not None:
            sql += " AND start < ?"
            args.append(end)
        if present_only:
            sql += " AND status='present'"
        sql += " ORDER BY start, id"
        with self._lock:
            return [_seg(r) for r in self._db.execute(sql, args).fetchall()]

    def last_segment(self, camera: str) -> Segment | None:
        """The most recent segment of a camera (present or purged)."""
        with self._lock:
            row = self._db.execute(f'SELECT {_SEG_COLS} FROM segments WHERE camera=? '
                                   'ORDER BY "end" DESC LIMIT 1', (camera,)).fetchone()
        return _seg(row) if row else None

    def segments_after(self, seg_id: int) -> list[Segment]:
        """Segments of every camera indexed after the row `seg_id` (present or purged), in
        index order: what a poller has not seen yet, read by primary key (no scan)."""
        with self._lock:
            rows = self._db.execute(f"SELECT {_SEG_COLS} FROM segments WHERE id > ? ORDER BY id",
                                    (seg_id,)).fetchall()
        return [_seg(r) for r in rows]

    def gaps_after(self, gap_id: int) -> list[tuple[int, Gap]]:
        """(row id, gap) of every camera's gaps recorded after the row `gap_id`, in order."""
        with self._lock:
            rows = self._db.execute('SELECT id, camera, start, "end", reason FROM gaps '
                                    "WHERE id > ? ORDER BY id", (gap_id,)).fetchall()
        return [(int(r[0]), Gap(str(r[1]), float(r[2]), float(r[3]), str(r[4]))) for r in rows]

    def last_ids(self) -> tuple[int, int]:
        """(largest segment row id, largest gap row id), 0 when empty: a poller's baseline."""
        with self._lock:
            seg = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM segments").fetchone()[0]
            gap = self._db.execute("SELECT COALESCE(MAX(id), 0) FROM gaps").fetchone()[0]
        return int(seg), int(gap)

    def mark_purged(self, seg_id: int, at: float, reason: str) -> None:
        """Record that a segment's file was destroyed."""
        with self._lock:
            self._db.execute("UPDATE segments SET status='purged', purged_at=?, purge_reason=? "
                             "WHERE id=?", (at, reason, seg_id))

    def add_gap(self, camera: str, start: float, end: float, reason: str) -> Gap:
        """Record a recording gap."""
        with self._lock:
            self._db.execute('INSERT INTO gaps (camera, start, "end", reason) VALUES (?,?,?,?)',
                             (camera, start, end, reason))
        return Gap(camera, start, end, reason)

    def gaps(self, camera: str | None = None) -> list[Gap]:
        """Recorded gaps, oldest first."""
        sql = 'SELECT camera, start, "end", reason FROM gaps'
        args: tuple[object, ...] = ()
        if camera is not None:
            sql += " WHERE camera=?"
            args = (camera,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY start", args).fetchall()
        return [Gap(str(r[0]), float(r[1]), float(r[2]), str(r[3])) for r in rows]

    def add_hold(self, ref: str, camera: str, start: float, end: float, created: float,
                 created_by: str) -> Hold:
        """Place a legal hold."""
        with self._lock:
            cur = self._db.execute(
                'INSERT INTO holds (ref, camera, start, "end", created, created_by) '
                "VALUES (?,?,?,?,?,?)", (ref, camera, start, end, created, created_by))
        assert cur.lastrowid is not None
        return Hold(cur.lastrowid, ref, camera, start, end, created, created_by, None)

    def holds(self, active_only: bool = True) -> list[Hold]:
        """Legal holds, oldest first."""
        sql = 'SELECT id, ref, camera, start, "end", created, created_by, released FROM holds'
        if active_only:
            sql += " WHERE released IS NULL"
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY id").fetchall()
        return [Hold(int(r[0]), str(r[1]), str(r[2]), float(r[3]), float(r[4]), float(r[5]),
                     str(r[6]), None if r[7] is None else float(r[7])) for r in rows]

    _HELD = ("EXISTS (SELECT 1 FROM holds h WHERE h.released IS NULL AND h.camera IN "
             "('*', s.camera) AND s.start < h.\"end\" AND s.\"end\" > h.start)")

    def unheld(self) -> tuple[int, int]:
        """(count, total bytes) of the present segments no active hold covers (Hold.covers,
        in SQL): what retention weighs every pass, read from the present rows' covering index
        instead of loading the index into Python (a month of 16 cameras is ~700,000 rows;
        purged rows stay for years)."""
        with self._lock:
            count, total = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM segments s "
                f"WHERE status='present' AND NOT {self._HELD}").fetchone()
        return int(count), int(total)

    def unheld_earliest(self) -> float | None:
        """Start of the oldest present segment no active hold covers (None if none)."""
        with self._lock:
            row = self._db.execute(
                f"SELECT start FROM segments s WHERE status='present' AND NOT {self._HELD} "
                "ORDER BY start LIMIT 1").fetchone()
        return None if row is None else float(row[0])

    def release_hold(self, hold_id: int, at: float, by: str) -> Hold | None:
        """Release an active hold; None if no such active hold."""
        with self._lock:
            cur = self._db.execute("UPDATE holds SET released=?, released_by=? "
                                   "WHERE id=? AND released IS NULL", (at, by, hold_id))
            if cur.rowcount == 0:
                return None
        return next(h for h in self.holds(active_only=False) if h.id == hold_id)

    # -- export copies (RET-1: they age like the segments they hold) --------------------------
    def add_export(self, path: str, created: float, files: list[dict[str, Any]],
                   manifest_sha256: str) -> ExportCopy:
        """Track an export bundle written on the NVR."""
        with self._lock:
            cur = self._db.execute(
                "INSERT INTO exports (path, created, files, manifest_sha256) VALUES (?,?,?,?)",
                (path, created, json.dumps(files), manifest_sha256))
        assert cur.lastrowid is not None
        return ExportCopy(cur.lastrowid, path, created, tuple(files), manifest_sha256)

    def exports(self) -> list[ExportCopy]:
        """Export bundles still on the NVR, oldest first."""
        with self._lock:
            rows = self._db.execute("SELECT id, path, created, files, manifest_sha256 FROM "
                                    "exports WHERE status='present' ORDER BY id").fetchall()
        return [ExportCopy(int(r[0]), str(r[1]), float(r[2]), tuple(json.loads(r[3])),
                           str(r[4])) for r in rows]

    def mark_export_removed(self, export_id: int, status: str, at: float, reason: str) -> None:
        """Record that an export bundle was destroyed by the purge or found missing."""
        with self._lock:
            self._db.execute("UPDATE exports SET status=?, removed_at=?, removal_reason=? "
                             "WHERE id=?", (status, at, reason, export_id))
