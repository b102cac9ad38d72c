"""No secret leaves a drift verdict in clear — the vaulted value, and a new live one alike."""

from __future__ import annotations

import pytest

from beffroi.drift.redact import redact, redact_result
from beffroi.drift.report import DeviceDrift, Status

NEW = "Fr3shly-Changed-42"


@pytest.mark.parametrize("line", [
    f"-PrivateKey = {NEW}=", f"-PresharedKey = {NEW}", f'-password_hash = "{NEW}"',
    f'-rtsp_url = "rtsp://%3Cvault%3E:{NEW}@10.57.0.74:554/stream1"',
    f"-MONITOR beffroi-ups@localhost 1 upsmon {NEW} primary", f"-\tpassword = {NEW}",
    f"-snmp-server community {NEW} RW", f"-username backdoor privilege 15 secret 5 {NEW}",
    f"-enable password 0 {NEW}", f"-enable secret 9 {NEW}",
    f"  password: {NEW}", f'-set system login user x authentication encrypted-password "{NEW}"',
    f"-set snmp community {NEW} authorization read-write",
    f"-ntp authentication-key 1 md5 {NEW} 7", f"api_key={NEW}",
    # JSON (the hub's viewer.json and wall.json): the key is quoted
    f'-      "password": "{NEW}"', f'-  "password_hash": "{NEW}",', f"-  'token': '{NEW}'",
])
def test_a_secret_value_is_masked_by_its_syntax_even_when_no_vault_knows_it(line: str) -> None:
    assert NEW not in redact(line) and "<vault>" in redact(line)


@pytest.mark.parametrize("line", [
    "PublicKey = 5puJKb6n5+4Q5MeRbm/RkESlKlhfxsz5nCgflkzkOSM=", "Endpoint = 100.64.0.2:51820",
    'signing_key = "/var/lib/beffroi/recorder-key/signing.pem"', "%sudo ALL=(ALL) NOPASSWD: ALL",
    "interface GigabitEthernet1/0/1", "sshd permitrootlogin is yes, intended no",
    '  "token_key": "/etc/beffroi/wall-keys/token.pem",',
])
def test_what_is_not_secret_stays_readable(line: str) -> None:
    assert redact(line) == line


def test_vaulted_values_are_masked_anywhere_in_every_field() -> None:
    vaulted = "V4ulted-Value-That-Is-Long"
    res = redact_result(DeviceDrift("s", "d", "nvr", Status.DRIFTED, f"x {vaulted}",
                                    f"-{vaulted}\n", ["NET-3"], [f"y {vaulted}"]), [vaulted])
    assert vaulted not in str(res.to_json())
