"""The wall's two pages (French UI), escaped for HTML (every value goes through `e`); no inline
script or style, so the CSP can forbid both."""

from __future__ import annotations

from html import escape


def e(value: object) -> str:
    """HTML text/attribute escaping of any value."""
    return escape(str(value), quote=True)


def _layout(title: str, body: str, wall_name: str) -> str:
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)} — {e(wall_name)}</title>
<link rel="stylesheet" href="/static/wall.css"></head>
<body>{body}</body></html>
"""


def login_page(wall_name: str, csrf: str, error: str = "") -> str:
    """The login form (CSRF double-submit token in a hidden field)."""
    alert = f'<p class="error" role="alert">{e(error)}</p>' if error else ""
    body = f"""<main class="login"><h1>{e(wall_name)}</h1>
<p>Mur d'images en direct — accès réservé aux agents habilités (CSI L252-3).</p>{alert}
<form method="post" action="/login">
<input type="hidden" name="csrf" value="{e(csrf)}">
<label>Identifiant <input name="user" autocomplete="username" required autofocus></label>
<label>Mot de passe <input name="password" type="password" autocomplete="current-password"
 required></label>
<button type="submit">Se connecter</button></form></main>"""
    return _layout("Connexion", body, wall_name)


def wall_page(wall_name: str, person_name: str, unit: str, csrf: str) -> str:
    """The grid: filled by /static/wall.js from /api/wall (live only: no playback control)."""
    body = f"""<header><h1>{e(wall_name)}</h1>
<p class="who">{e(person_name)} — {e(unit)} · direct uniquement, chaque visionnage est
journalisé sur l'enregistreur de la commune</p>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="{e(csrf)}">
<button type="submit">Se déconnecter</button></form></header>
<main id="wall" aria-live="polite" data-csrf="{e(csrf)}"></main>
<script src="/static/wall.js"></script>"""
    return _layout("Mur d'images", body, wall_name)
