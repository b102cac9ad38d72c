"""Fixtures of the wall tests: two fake communes (real RTSP, real relays, counted 'WAN'), a real
wall over TLS, and Debian's Chromium driven by pytest-playwright (no browser download)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from wall_harness import Commune, WallProcess, encode_clip, start_commune, start_wall

CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
FPS = 15


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "test_wall_browser" in str(item.fspath):
            item.add_marker(pytest.mark.slow)
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright: Debian's chromium, as root without the sandbox."""
    return {"executable_path": CHROMIUM, "args": ["--no-sandbox", "--autoplay-policy="
                                                  "no-user-gesture-required"]}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    """The wall's test certificate is self-signed; a 1920x1080 screen like the seed's."""
    return {"ignore_https_errors": True, "viewport": {"width": 1920, "height": 1080}}


@pytest.fixture(scope="session")
def wall_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from recorder import keys

    path = tmp_path_factory.mktemp("wallkey") / "key" / "token.pem"
    keys.generate(path)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, wall_key: Path
         ) -> Iterator[WallProcess]:
    """Evrange (1280x720) and Roussy-le-Village (1024x576), and the wall over both."""
    from recorder import keys, viewtoken

    tmp = tmp_path_factory.mktemp("wall")
    public = viewtoken.public_key_b64(keys.load_private(wall_key))
    clips = {(1280, 720): encode_clip(tmp / "c720.h264", 1280, 720, FPS, 6),
             (1024, 576): encode_clip(tmp / "c576.h264", 1024, 576, FPS, 6)}
    communes: list[Commune] = []
    wall = None
    try:
        for slug, name, (w, h) in (("evrange", "Évrange", (1280, 720)),
                                   ("roussy-le-village", "Roussy-le-Village", (1024, 576))):
            communes.append(start_commune(tmp, slug, name, clips[(w, h)], w, h, FPS, public))
        wall = start_wall(tmp, communes, wall_key)
        yield wall
    finally:
        if wall is not None:
            wall.stop()
        for c in communes:
            c.stop()


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS
