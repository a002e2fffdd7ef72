"""Every response carries the security headers; pages have no inline script or style."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import add_person, sign_in, token

NOW = "2026-11-20T12:00:00+00:00"
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def assert_secured(resp, where: str) -> None:
    csp = resp.headers.get("Content-Security-Policy", "")
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in csp.split(";")) if part
    )
    assert directives.get("script-src") == "'self'", where
    assert directives.get("style-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", where
    assert resp.headers.get("Referrer-Policy") == "same-origin", where


def test_pages_api_and_static_files_send_the_security_headers(client, freeze_time):
    freeze_time(NOW)
    sign_in(client, add_person("A1", role="admin"))
    for url in ["/", "/leaderboard", "/admin/rules", "/static/laurel.css", "/no-such-page"]:
        assert_secured(client.get(url), url)
    assert_secured(client.get("/sign-in"), "signed-in redirect")
    read = token("read")
    for url in ["/api/v1/leaderboard", "/api/v1/employees/NOPE"]:
        assert_secured(client.get(url, headers=read), url)
    assert_secured(client.get("/api/v1/leaderboard"), "401")
    assert_secured(client.get("/", headers={"HX-Request": "true"}), "htmx partial")


def test_hsts_only_over_https(client, freeze_time):
    freeze_time(NOW)
    secure = client.get("/sign-in", base_url="https://laurel.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers


def test_hsts_behind_a_proxy_that_says_https(app, freeze_time):
    freeze_time(NOW)
    from app import create_app

    proxied = create_app({**app.config, "LAUREL_PROXY_FIX": True})
    resp = proxied.test_client().get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in resp.headers


def test_templates_hold_no_inline_script_style_or_handlers():
    """What the policy would block: <script> with a body, <style>, style= and on*= attributes."""
    found = []
    for path in TEMPLATES.rglob("*.html"):
        html = path.read_text()
        for pattern in [r"<script(?![^>]*\bsrc=)[^>]*>", r"<style\b", r"\sstyle=", r"\son[a-z]+="]:
            found += [f"{path.name}: {m.group(0)}" for m in re.finditer(pattern, html)]
    assert not found


def test_htmx_is_told_not_to_inject_its_indicator_style(client, freeze_time):
    freeze_time(NOW)
    html = client.get("/sign-in").get_data(as_text=True)
    assert '"includeIndicatorStyles": false' in html
    css = client.get("/static/laurel.css").get_data(as_text=True)
    assert ".htmx-request .htmx-indicator" in css
