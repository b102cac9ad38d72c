"""Every interpolation of every template goes through the escaping filter of its syntax.

The templates in `templates/` (devices) and `roles/*/templates/` (role-only files) are parsed with
Jinja2 and each `{{ … }}` must end with a filter of `beffroi.escaping.FILTERS` (or call a macro
of the same template, whose own interpolations are checked): a raw `{{ value }}` is how a line
break in a commune's name became `allow all` in chrony.conf (issue 9). HTML dossiers are
autoescaped by their environment instead (checked below).
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
import pytest
from jinja2 import nodes

from beffroi.dossiers.render import environment as dossier_environment
from beffroi.escaping import FILTERS
from beffroi.render import environment

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(p for p in [*(REPO / "templates").rglob("*.j2"),
                               *(REPO / "roles").glob("*/templates/*.j2")]
                   if "dossiers" not in p.parts)


def _unescaped(source: str) -> list[str]:
    """The interpolations of `source` that do not end with an escaping filter."""
    tree = jinja2.Environment().parse(source)
    macros = {m.name for m in tree.find_all(nodes.Macro)}
    bad = []
    for output in tree.find_all(nodes.Output):
        for expr in output.nodes:
            if isinstance(expr, nodes.TemplateData):
                continue
            if isinstance(expr, nodes.Filter) and expr.name in FILTERS:
                continue
            if (isinstance(expr, nodes.Call) and isinstance(expr.node, nodes.Name)
                    and expr.node.name in macros):
                continue
            bad.append(f"line {expr.lineno}: {type(expr).__name__}")
    return bad


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_interpolation_ends_with_an_escaping_filter(template: Path) -> None:
    assert _unescaped(template.read_text(encoding="utf-8")) == []


def test_the_guard_catches_a_raw_interpolation() -> None:
    assert _unescaped("server {{ server }} iburst\n") == ["line 1: Name"]
    assert _unescaped("server {{ server | upper }} iburst\n")
    assert _unescaped("server {{ server | chrony_word }} iburst\n") == []


def test_renderer_registers_every_escaping_filter() -> None:
    assert set(FILTERS) <= set(environment().filters)


def test_dossiers_are_autoescaped() -> None:
    env = dossier_environment()
    html = env.from_string("<p>{{ v }}</p>").render(v='<script>alert("x")</script>')
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_ansible_filter_plugin_gives_the_same_filters() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "beffroi_escape", REPO / "plugins" / "filter" / "beffroi_escape.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    filters = module.FilterModule().filters()
    assert set(filters) == set(FILTERS)
    assert filters["chrony_word"]("100.64.0.123") == "100.64.0.123"
    from ansible.errors import AnsibleFilterError

    with pytest.raises(AnsibleFilterError, match="chrony"):
        filters["chrony_word"]("Évrange\nallow all")


def test_ansible_cfg_names_the_filter_plugins() -> None:
    configs = [p for p in REPO.rglob("*.cfg") if p.name.startswith("ansible")
               and not {".venv", ".molecule", ".cache"} & set(p.parts)]
    assert REPO / "ansible.cfg" in configs
    for cfg in configs:  # production and lab configurations alike
        assert re.search(r"^filter_plugins\s*=.*plugins/filter", cfg.read_text(encoding="utf-8"),
                         re.M), cfg
    for molecule in sorted((REPO / "molecule").glob("*/molecule.yml")):
        text = molecule.read_text(encoding="utf-8")
        if "inventory_plugins" in text:
            assert "filter_plugins: ${MOLECULE_PROJECT_DIRECTORY}/plugins/filter" in text, molecule


def test_a_value_its_syntax_cannot_carry_stops_the_render_with_the_template_named() -> None:
    from beffroi.findings import BeffroiError
    from beffroi.render import _render

    hostile = {"beffroi": {"version": "0.1", "site": {"commune": "Évrange"},
                           "ntp_servers": ["100.64.0.123 iburst\nallow all"],
                           "net": {"camera_subnet": "10.57.0.64/27"}}}
    with pytest.raises(BeffroiError, match=r"common/chrony.conf.j2: chrony: .*LINE FEED"):
        _render("common/chrony.conf.j2", hostile)
