"""Free text is data, never directives: hostile values in every string field of the inventory.

For each string field of the Évrange site, the department and the crisis cell, and for each
hostile value:
- a value the model refuses (line breaks in every spelling, control characters, bidi overrides,
  10 kB) must be refused with a finding at that field, never rendered;
- a value the model accepts (quotes, `#`, `;`, braces, backslashes, long-but-allowed text) is
  rendered into every file of the commune and of the crisis cell, each file is read back with
  its real parser (`nft -c`, `chronyd -p`, `wg-quick strip`, `tomllib` + `recorder
  check-config`, PyYAML, IOS/Junos line structure, the HTML dossiers' element tree), and the file
  holds exactly the directive lines of a render with benign values: no line the intent did not
  ask for.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from validation.inventory_kit import MOSELLE, InventoryCopy

from beffroi.dossiers.aipd import build_aipd
from beffroi.dossiers.prefecture import build_prefecture
from beffroi.dossiers.signage import build_signage
from beffroi.findings import BeffroiError, Finding, Severity
from beffroi.intent import site_intent
from beffroi.inventory import load_inventory
from beffroi.render import Output, environment, render_crisis_cell, render_site
from beffroi.validate import check_inventory
from beffroi.yamlsource import dotted

REPO = Path(__file__).resolve().parents[2]
SITE = "sites/evrange.yml"
FILES = (SITE, "department.yml", "crisis-cell.yml")
RECORDER = Path(sys.executable).with_name("recorder")

# Every spelling of "one more line" and every invisible character a parser or a reader trips on.
REFUSED = {
    "newline": "Évrange\nallow all\nserver 203.0.113.66 iburst",
    "newline_ios": "Évrange\nusername backdoor privilege 15 secret 0 hunter2",
    "carriage_return": "Évrange\rallow all",
    "crlf": "Évrange\r\nallow all",
    "trailing_newline": "Évrange\n",
    "next_line_nel": "Évrange\x85allow all",
    "line_separator": "Évrange\u2028allow all",
    "paragraph_separator": "Évrange\u2029allow all",
    "vertical_tab": "Évrange\x0ballow all",
    "form_feed": "Évrange\x0callow all",
    "tab": "Évrange\tallow all",
    "nul": "Évrange\x00allow all",
    "escape_sequence": "Évrange\x1b[2J",
    "delete": "Évrange\x7f",
    "rtl_override": "Évrange\u202eexe.lla wolla",
    "bidi_isolate": "Évrange\u2066allow\u2069",
    "zero_width_space": "Év\u200brange",
    "byte_order_mark": "\ufeffÉvrange",
    "ten_kilobytes": "É" * 10_000,
}
# Characters that are syntax somewhere (comments, separators, quoting, blocks, specifiers).
ACCEPTED = {
    "quotes": 'Commune "d\'en-haut" l\'Évrange',
    "syntax": "a # b ; c { d } e \\ f $g `h` %i !j <k> &l [m] =n ,o |p *q ?r ~s",
    "long": "Mât de la place de la mairie — " * 3,  # long, still under every cap
    "template": "{{ 7 * 7 }} {% raw %} {# x",  # Jinja syntax stays text: values are not templates
}
BENIGN = "Valeur ordinaire"
DOSSIERS = (build_aipd, build_prefecture, build_signage)  # HTML, autoescaped


def _string_fields(node: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[Any, ...]]:
    items = (node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    for key, child in items:
        if isinstance(child, str):
            yield (*prefix, key)
        else:
            yield from _string_fields(child, (*prefix, key))


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10× faster here
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
DOCUMENTS = {name: yaml.load((MOSELLE / name).read_text(), Loader=_Loader) for name in FILES}
FIELDS = [(name, path) for name in FILES for path in _string_fields(DOCUMENTS[name])]


def _field_id(item: tuple[str, tuple[Any, ...]]) -> str:
    return f"{item[0].split('/')[-1].removesuffix('.yml')}:{dotted(item[1])}"


@pytest.fixture(scope="module")
def inventory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InventoryCopy]:
    """One copy for the module; each test rewrites one file and restores it.

    The example inventory's vault is encrypted with the lab's published test password.
    """
    patch = pytest.MonkeyPatch()
    patch.setenv("BEFFROI_VAULT_PASSWORD_FILE", str(REPO / "lab" / "test-vault-password"))
    root = tmp_path_factory.mktemp("hostile") / "moselle"
    shutil.copytree(MOSELLE, root)
    yield InventoryCopy(root)
    patch.undo()


def _with_value(inv: InventoryCopy, name: str, path: tuple[Any, ...], value: str
                ) -> tuple[list[Finding], dict[Output, str] | None]:
    """Validate (and, if valid, render) the inventory with `value` at `name`:`path`."""
    original = inv.file(name).read_bytes()
    try:
        data = copy.deepcopy(DOCUMENTS[name])
        node = data
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
        # ASCII with escapes: a raw NEL or U+2028 would be folded by the YAML reader itself
        inv.file(name).write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=False,
                                            sort_keys=False), encoding="utf-8")
        loaded = load_inventory(inv.root)
        findings = [f for f in check_inventory(loaded) if f.severity is Severity.ERROR]
        if findings:
            return findings, None
        # Secrets revealed: `recorder check-config` wants the real argon2 hashes.
        dossiers = {Output("evrange", "dossier", doc.stem, f"dossiers/{doc.stem}.html", ""):
                    doc.html for doc in (build(loaded, "evrange") for build in DOSSIERS)}
        # The other switch platforms, from the same intent (Évrange's switch is IOS).
        ctx = site_intent(loaded, "evrange").context()
        switches = {Output("evrange-sw", "switch", f"switch/{p}.j2",
                           f"evrange-sw/running-config.{p}", ""):
                    environment().get_template(f"switch/{p}.j2").render(beffroi=ctx)
                    for p in ("junos", "procurve")}
        return [], {**render_site(loaded, "evrange", reveal_secrets=True),
                    **render_crisis_cell(loaded, reveal_secrets=True), **dossiers, **switches}
    except BeffroiError as exc:  # render refused: that is a finding too
        return list(exc.findings) or [Finding(name, 0, "ENG-RENDER", "", str(exc))], None
    finally:
        inv.file(name).write_bytes(original)


@pytest.fixture(scope="module")
def benign() -> dict[str, dict[Output, str]]:
    """Per field, the render with a benign value there (the shape the intent asks for)."""
    return {}


def _benign_render(inv: InventoryCopy, cache: dict[str, dict[Output, str]], name: str,
                   path: tuple[Any, ...]) -> dict[Output, str] | None:
    key = f"{name}:{path}"
    if key not in cache:
        _findings, rendered = _with_value(inv, name, path, BENIGN)
        if rendered is None:  # a structured field (address, key, pattern): use its own value
            _findings, rendered = _with_value(inv, name, path, _current(name, path))
        assert rendered is not None
        cache[key] = rendered
    return cache[key]


def _current(name: str, path: tuple[Any, ...]) -> str:
    node: Any = DOCUMENTS[name]
    for part in path:
        node = node[part]
    return str(node)


@pytest.mark.parametrize("field", FIELDS, ids=_field_id)
def test_hostile_text_is_refused_at_its_field(inventory: InventoryCopy,
                                              field: tuple[str, tuple[Any, ...]]) -> None:
    name, path = field
    wrong = {}
    for kind, value in REFUSED.items():
        findings, rendered = _with_value(inventory, name, path, value)
        at_field = [f for f in findings if f.path == dotted(path)
                    and Path(f.file).name == Path(name).name]
        if rendered is not None:
            wrong[kind] = "rendered"
        elif not at_field or not all(f.line > 0 and f.citation and f.hint for f in at_field):
            wrong[kind] = f"no clear finding at {dotted(path)}: {findings}"
    assert not wrong, wrong


# --- accepted hostile values: every file parses and holds only the asked-for directives ------

def _nft_check(text: str, tmp: Path) -> None:
    if shutil.which("nft") is None or os.geteuid() != 0:
        pytest.skip("nft -c needs root")
    path = tmp / "nftables.conf"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def _chrony_check(text: str, tmp: Path) -> None:
    chronyd = shutil.which("chronyd") or "/usr/sbin/chronyd"
    if not Path(chronyd).exists():
        pytest.skip("chronyd not installed (scripts/apt-packages.txt: chrony)")
    path = tmp / "chrony.conf"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([chronyd, "-p", "-f", str(path)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


def _wg_check(text: str, tmp: Path) -> None:
    if shutil.which("wg-quick") is None:
        pytest.skip("wg-quick not installed")
    path = tmp / "wg-beffroi.conf"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run(["wg-quick", "strip", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for line in done.stdout.splitlines():  # what `wg setconf` reads: sections and key = value
        assert re.fullmatch(r"\[(Interface|Peer)\]|[A-Za-z]+ = \S.*|#.*|", line), line


def _toml_check(text: str, tmp: Path) -> None:
    tomllib.loads(text)
    path = tmp / "recorder.toml"
    path.write_text(text, encoding="utf-8")
    done = subprocess.run([str(RECORDER), "check-config", str(path)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def _yaml_check(text: str, _tmp: Path) -> None:
    assert isinstance(yaml.safe_load(text), dict)


def _ios_check(text: str, _tmp: Path) -> None:
    for line in text.splitlines():  # a comment, a global command or an indented sub-command
        assert re.fullmatch(r"![^\n]*|[a-z][^\n]*|  ?[a-z][^\n]*", line), line


def _junos_check(text: str, _tmp: Path) -> None:
    for line in text.splitlines():
        assert re.fullmatch(r'##[^\n]*|set( ([^\s"]+|"([^"\\]|\\.)*"))+', line), line


class _Tags(HTMLParser):
    """The element structure of an HTML document (tag names in order)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def _html_tags(text: str) -> list[str]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


def _html_check(text: str, _tmp: Path) -> None:
    assert "<k>" not in text and "<script" not in text.lower()


def _procurve_check(text: str, _tmp: Path) -> None:
    for line in text.splitlines():  # a comment, a context command or a 3-space sub-command
        assert re.fullmatch(r';[^\n]*|[a-z][^\n]*|   [a-z][^\n]*', line), line
        assert line.count('"') % 2 == 0, line


PARSERS = {".html": _html_check, ".procurve": _procurve_check, "nftables.conf": _nft_check,
           "chrony.conf": _chrony_check, "wg-beffroi.conf": _wg_check,
           "recorder.toml": _toml_check, ".yml": _yaml_check, ".ios": _ios_check,
           ".junos": _junos_check}


def _parser(relpath: str) -> Any:
    return next((check for suffix, check in PARSERS.items() if relpath.endswith(suffix)), None)


def _directives(text: str) -> list[str]:
    """The keyword of each non-comment line: what a parser acts on, values aside."""
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped[0] in "#!;":
            continue
        out.append(re.split(r"[\s=:]", stripped, maxsplit=1)[0])
    return out


@pytest.mark.parametrize("field", FIELDS, ids=_field_id)
@pytest.mark.parametrize("kind", sorted(ACCEPTED))
def test_accepted_text_renders_as_data_in_every_file(
        inventory: InventoryCopy, kind: str, field: tuple[str, tuple[Any, ...]],
        tmp_path: Path, benign: dict[str, dict[Output, str]]) -> None:
    name, path = field
    findings, rendered = _with_value(inventory, name, path, ACCEPTED[kind])
    if rendered is None:
        # A structured field (address, hostname, key…) refuses it, or a reference to the old
        # value breaks (a recipient a habilitation names): refused clearly, with a location.
        assert findings and all(f.line > 0 and f.hint and f.citation for f in findings), findings
        return
    reference = _benign_render(inventory, benign, name, path)
    assert reference is not None
    by_path = {out.relpath: text for out, text in reference.items()}
    for out, text in rendered.items():
        check = _parser(out.relpath)
        if check is not None and text != by_path[out.relpath]:  # the value reaches this file
            check(text, tmp_path)
        if out.relpath.endswith(".html"):  # no element the intent did not ask for
            assert _html_tags(text) == _html_tags(by_path[out.relpath]), out.relpath
            continue
        assert _directives(text) == _directives(by_path[out.relpath]), out.relpath
        assert len(text.splitlines()) == len(by_path[out.relpath].splitlines()), out.relpath


def test_the_catalogue_covers_free_text_and_structured_fields() -> None:
    paths = {dotted(p) for _n, p in FIELDS}
    assert {"commune", "controller.mayor", "cameras[0].location", "nvr.ups.model",
            "switch.ports.prefix", "nvr.storage.mount", "name", "services[0]"} <= paths
    assert len(FIELDS) > 60
