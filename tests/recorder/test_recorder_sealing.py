"""A segment is sealed in one pass before its signed register entry exists: hashed, made
durable (fsync) and dropped from the page cache (the recorder never reads it again)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from recorder_harness import make_config, seed_segments

from recorder import config, timeutil
from recorder.state import open_state, sha256_file


def _resident_pages(path: Path) -> int:
    out = subprocess.run(["fincore", "--bytes", "--noheadings", "--output", "PAGES", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return int(out.split()[0])


@pytest.mark.skipif(shutil.which("fincore") is None, reason="needs util-linux fincore")
def test_indexed_segment_is_on_disk_and_out_of_the_page_cache(tmp_path: Path,
                                                             small_segment: Path) -> None:
    st = open_state(config.load(make_config(tmp_path, [("cam1", "rtsp://127.0.0.1:9/c")])))
    try:
        (seg,) = seed_segments(st, "cam1", small_segment, [timeutil.now() - 60])
        path = st.abspath(seg.path)
        # dirty pages cannot be dropped: none resident means the bytes the register vouches
        # for were written to disk before the entry was signed
        assert _resident_pages(path) == 0
        assert seg.sha256 == sha256_file(small_segment) and seg.size == path.stat().st_size
        reg = [e["data"] for e in st.register.entries() if e["kind"] == "recording"]
        assert reg[-1]["sha256"] == seg.sha256
    finally:
        st.close()
