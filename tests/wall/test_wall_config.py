"""The wall's file (recorder/wall/config.py): every problem named with its key and rule id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from recorder.wall import config as wallconf

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def _doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Cellule de crise", "listen": "10.58.0.1:8443",
        "tls_cert": "/etc/beffroi/wall-keys/wall.crt", "tls_key": "/etc/beffroi/wall-keys/wall.key",
        "token_key": "/etc/beffroi/wall-keys/token.pem", "journal_key": "/var/lib/j/journal.pem",
        "state_dir": "/var/lib/beffroi/wall",
        "communes": [{"slug": "evrange", "name": "Évrange", "relay": "rtsp://10.57.0.99:8554",
                      "cameras": [{"id": "cam1", "location": "Mât", "width": 1280,
                                   "height": 720}]}],
        "recipients": [{"id": "gn-acolin", "name": "Alice Colin", "service": "gendarmerie",
                        "unit": "GGD 57", "password_hash": HASH, "cameras": ["*"]}]}
    doc.update(over)
    return doc


def _load(tmp_path: Path, doc: dict[str, Any]) -> wallconf.WallConfig:
    path = tmp_path / "wall.json"
    path.write_text(json.dumps(doc))
    return wallconf.load(path)


def test_a_valid_file_loads(tmp_path: Path) -> None:
    conf = _load(tmp_path, _doc())
    assert conf.listen == ("10.58.0.1", 8443)


@pytest.mark.parametrize("over, key, rule", [
    ({"tls_cert": None, "tls_key": None}, "tls_cert", "NET-2"),
    ({"listen": "0.0.0.0:8443"}, "listen", "NET-1"),
    ({"token_ttl_seconds": 3600}, "token_ttl_seconds", "ACC-3"),
    ({"communes": [{"slug": "evrange", "name": "É", "relay": "https://10.57.0.99:8443",
                    "cameras": []}]}, "communes[0].relay", "ACC-4"),
])
def test_a_bad_setting_is_named_with_its_rule(tmp_path: Path, over: dict[str, Any], key: str,
                                              rule: str) -> None:
    with pytest.raises(wallconf.WallConfigError) as err:
        _load(tmp_path, _doc(**over))
    assert any(f.key == key and f.rule == rule for f in err.value.findings), err.value


@pytest.mark.parametrize("field, value, rule", [
    ("service", "prefecture", "ACC-3"), ("service", "Gendarmerie", "ACC-3"),
    ("id", "sdis", "ACC-1"), ("name", "Colin", "ACC-1"),
    ("password_hash", "plain", "ACC-5"), ("cameras", ["roussy"], "CFG-2"),
    ("cameras", ["evrange/"], "CFG-2"),
])
def test_only_lawful_individual_recipients(tmp_path: Path, field: str, value: Any,
                                           rule: str) -> None:
    doc = _doc()
    doc["recipients"][0][field] = value
    with pytest.raises(wallconf.WallConfigError) as err:
        _load(tmp_path, doc)
    assert [f.rule for f in err.value.findings] == [rule]
    assert str(err.value).startswith(str(tmp_path / "wall.json"))


def test_an_unknown_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(wallconf.WallConfigError, match="playback"):
        _load(tmp_path, _doc(playback=True))
