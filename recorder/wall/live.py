"""One live tile: the commune's relay pulled through ffmpeg (stream copy, no transcoding) and
re-muxed as fragmented MP4 for the browser's Media Source Extensions, only while the response
is being read — the pull stops when the viewer leaves (on demand: an idle wall costs nothing)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import anyio

CHUNK = 65536
RTSP_TIMEOUT_US = 5_000_000


def ffmpeg_command(url: str) -> list[str]:
    """Pull `url` over RTSP/TCP and write fMP4 fragments (200 ms) to stdout, video only."""
    return ["ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
            "-timeout", str(RTSP_TIMEOUT_US), "-fflags", "nobuffer", "-probesize", "65536",
            "-analyzeduration", "500000", "-i", url, "-map", "0:v:0", "-c:v", "copy", "-an",
            "-f", "mp4", "-movflags", "frag_keyframe+empty_moov+default_base_moof",
            "-frag_duration", "200000", "pipe:1"]


async def fmp4(url: str) -> AsyncIterator[bytes]:
    """The stream's bytes as they come; ffmpeg (and so the relay pull) ends with the iterator."""
    proc = await asyncio.create_subprocess_exec(
        *ffmpeg_command(url), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    assert proc.stdout is not None
    try:
        while chunk := await proc.stdout.read(CHUNK):
            yield chunk
    finally:
        with anyio.CancelScope(shield=True):  # a client gone cancels us: still stop ffmpeg
            await stop(proc)


async def stop(proc: asyncio.subprocess.Process) -> None:
    """SIGTERM (ffmpeg sends the relay its TEARDOWN), then SIGKILL after 3 s."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 3)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
