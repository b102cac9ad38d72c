"""Check and converge one camera over ONVIF against its rendered settings, with read-back.

Fail closed: a legally required setting (resolution CAM-1/2, fps CAM-3, privacy masks CAM-5)
that the device does not let us read back is an error, never a silent pass — the converge
stops before recording is enabled on a camera we cannot prove compliant.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from onvif.exceptions import ONVIFAuthError

from network.camera.compare import ADMINISTRATOR, CameraCheck, compare
from network.camera.model import Desired, Mask, floor_violations, parse_desired
from network.camera.onvif_client import CALL_ERRORS, OnvifSession
from network.camera.readback import read_check
from network.endpoints import Endpoint
from network.errors import NetworkError, UnreachableError

__all__ = ["CameraCheck", "CameraResult", "apply", "compare", "read_check"]
T = TypeVar("T")
TIMEOUT_SECONDS = 30.0


@dataclass
class CameraResult:
    """What an apply did (or would do, in check mode)."""

    device: str
    changed: bool
    actions: list[str]
    diff: str
    unverifiable: list[str]


async def _open(endpoint: Endpoint, logins: list[tuple[str, str]], device: str
                ) -> OnvifSession:
    """An open session with the first login that works (caller closes it)."""
    last = ""
    for user, password in logins:
        session = OnvifSession(endpoint.host, endpoint.port or 80, user, password)
        try:
            return await session.__aenter__()
        except ONVIFAuthError as exc:
            last = f"login as {user!r} refused ({exc})"
        except CALL_ERRORS as exc:
            msg = str(exc).splitlines()[0] if str(exc) else ""
            if "auth" in msg.lower() or "not authorized" in msg.lower():
                last = f"login as {user!r} refused"
                continue
            raise UnreachableError(device, f"no ONVIF answer from {endpoint.host}:"
                                   f"{endpoint.port or 80} ({type(exc).__name__}: {msg})"
                                   ) from None
    raise UnreachableError(device, f"no account accepted at {endpoint.host}:"
                           f"{endpoint.port or 80}: {last}")


def apply(device: str, rendered: str, endpoint: Endpoint, factory_login: tuple[str, str],
          check_mode: bool = False) -> CameraResult:
    """Converge a camera to its rendered settings, read everything back, fail closed."""
    want = parse_desired(rendered)
    refused = floor_violations(want.role, want.encoder)
    if refused:
        rule, msg = refused[0]
        raise NetworkError(device, f"refusing to configure: {msg}", rule)
    return _run(device, _apply(device, want, endpoint, factory_login, check_mode))


async def _apply(device: str, want: Desired, endpoint: Endpoint,
                 factory_login: tuple[str, str], check_mode: bool) -> CameraResult:
    logins = [(want.username, want.password), factory_login]
    session = await _open(endpoint, logins, device)
    login = (session.username, session.password)
    user = session.username
    try:
        live = await session.read()
        before = compare(device, want, live)
        steps: list[tuple[str, Callable[[OnvifSession], Awaitable[None]]]] = []
        fields = {d.field for d in before.differences}
        if user != want.username:
            steps.append((f"create account {want.username} (NET-3)",
                          lambda s: s.create_admin(want.username, want.password)))
        elif (live.users or {}).get(want.username, ADMINISTRATOR) != ADMINISTRATOR:
            steps.append((f"restore {want.username} as {ADMINISTRATOR} (NET-3)",
                          lambda s: s.set_password(want.username, want.password)))
        if fields & {"time.mode", "time.timezone", "time.ntp_servers", "time.ntp_from_dhcp"}:
            steps.append(("set UTC + NTP " + ", ".join(want.ntp_servers) + " (TIME-1)",
                          lambda s: s.set_time(want.timezone, want.ntp_servers)))
        if live.encoder is not None and fields & {"encoder.codec", "encoder.resolution",
                                                  "encoder.fps", "encoder.bitrate_kbps"}:
            e = want.encoder
            steps.append((f"encoder {e.codec} {e.width}x{e.height} {e.fps} fps "
                          f"{e.bitrate_kbps} kbit/s (CAM-1..3)",
                          lambda s: s.set_encoder(live.encoder_token, want.encoder)))
        if live.masks is not None and "privacy_masks" in fields:
            wanted = {m.key(): m for m in want.masks}
            for key, token in live.mask_tokens.items():
                if key not in wanted:
                    steps.append((f"delete mask {key} (CAM-5)",
                                  _removing(token)))
            for key, mask in wanted.items():
                if key not in live.mask_tokens:
                    steps.append((f"add mask {key} (CAM-5)", _adding(mask)))
        extra = sorted(u for u in live.users or {} if u != want.username)
        if want.remove_default and extra:
            steps.append((f"delete account(s) {', '.join(extra)} (NET-3)",
                          lambda s: s.delete_users(extra)))
    finally:
        await session.close()
    result = CameraResult(device, bool(steps), [name for name, _ in steps], before.diff,
                          before.unverifiable)
    if check_mode:
        _raise_fail_closed(device, before)
        return result
    await _run_steps(device, endpoint, want, login, steps)
    session = await _open(endpoint, [(want.username, want.password)], device)
    try:
        after = compare(device, want, await session.read())
    finally:
        await session.close()
    _raise_fail_closed(device, after)
    if after.differences:
        raise NetworkError(device, "read-back differs from the intent after apply:\n"
                           + after.diff, after.differences[0].rule)
    return result


async def _run_steps(device: str, endpoint: Endpoint, want: Desired, login: tuple[str, str],
                     steps: list[tuple[str, Callable[[OnvifSession], Awaitable[None]]]]
                     ) -> None:
    """Account creation first with the login that worked; the rest as the vaulted account."""
    first = 0
    if steps and login[0] != want.username:
        session = await _open(endpoint, [login], device)
        try:
            await _step(device, session, *steps[0])
        finally:
            await session.close()
        first = 1
    if len(steps) > first:
        session = await _open(endpoint, [(want.username, want.password)], device)
        try:
            for name, step in steps[first:]:
                await _step(device, session, name, step)
        finally:
            await session.close()


async def _step(device: str, session: OnvifSession, name: str,
                step: Callable[[OnvifSession], Awaitable[None]]) -> None:
    try:
        await step(session)
    except CALL_ERRORS as exc:
        raise NetworkError(device, f"{name} failed: {exc}") from None


def _removing(token: str) -> Callable[[OnvifSession], Awaitable[None]]:
    return lambda s: s.remove_mask(token)


def _adding(mask: Mask) -> Callable[[OnvifSession], Awaitable[None]]:
    return lambda s: s.add_mask(mask)


def _raise_fail_closed(device: str, check: CameraCheck) -> None:
    if check.fail_closed:
        rules = ", ".join(r for r, _ in check.fail_closed)
        why = "; ".join(f"{r}: {m}" for r, m in check.fail_closed)
        raise NetworkError(device, f"cannot verify legally required settings ({rules}) — "
                           f"recording must not be enabled on this camera: {why}")


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _shared_loop() -> asyncio.AbstractEventLoop:
    """One event loop for every ONVIF call of the process: onvif-zeep-async keeps a
    module-level asyncio.Lock bound to the first loop, so a second loop (another thread's
    asyncio.run) blocks forever. Threads submit their coroutines here instead."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="beffroi-onvif",
                             daemon=True).start()
        return _loop


def _run(device: str, coro: Coroutine[Any, Any, T]) -> T:
    async def bounded() -> T:
        return await asyncio.wait_for(coro, TIMEOUT_SECONDS)
    try:
        return asyncio.run_coroutine_threadsafe(bounded(), _shared_loop()).result()
    except TimeoutError:
        raise UnreachableError(device, f"ONVIF did not answer within {TIMEOUT_SECONDS:.0f} s"
                               ) from None
