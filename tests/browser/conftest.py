"""Browser tests of the console: Debian's /usr/bin/chromium driven by Playwright (no browser
download), against a real `recorder run` over TLS recording two loopback RTSP cameras."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from console_harness import CHROMIUM, Console, start_console  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """One recorder over TLS, recording two cameras, for the whole module."""
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} missing: apt-get install chromium (scripts/apt-packages.txt)")
    tmp = tmp_path_factory.mktemp("console")
    running, server, proc = start_console(tmp, "lockout_threshold = 4\n")
    try:
        yield running
    finally:
        proc.cleanup()
        server.stop()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, no download; root in a container needs --no-sandbox."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--autoplay-policy=no-user-gesture-required"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """The operator's 24" screen; the test CA is not in chromium's store."""
    return {**browser_context_args, "viewport": {"width": 1920, "height": 1080},
            "ignore_https_errors": True, "locale": "fr-FR", "timezone_id": "Europe/Paris",
            "accept_downloads": True}


