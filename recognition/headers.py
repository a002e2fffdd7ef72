"""Security headers on every response, pages and API alike.

The Content-Security-Policy allows scripts, styles, images and requests from
Laurel itself only: no inline script or style (htmx's own indicator style is
turned off in the htmx-config meta tag, its rules live in laurel.css), no
plugins, no framing (`frame-ancestors 'none'`, and X-Frame-Options for older
browsers), forms that post only to Laurel. HSTS is sent only over HTTPS, where
it means something (behind a proxy, LAUREL_PROXY_FIX makes HTTPS visible).
One page sets a looser policy of its own: the API reference (/api/docs), see
API_DOCS_CONTENT_SECURITY_POLICY.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API reference page (/api/docs) alone, for the vendored Redoc (static/redoc/):
# - inline styles: Redoc renders with styled-components, which writes its CSS into
#   <style> elements at run time, and React sets style attributes; neither can carry
#   a nonce or a fixed hash;
# - `data:` images: its icons are inline SVG in that CSS;
# - `blob:` workers: its search index runs in a worker built from a Blob of its own code.
# Scripts still load from Laurel only, and the page shows the OpenAPI document alone,
# which holds no one's data.
API_DOCS_CONTENT_SECURITY_POLICY = (
    CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    .replace("img-src 'self'", "img-src 'self' data:")
    .replace("connect-src 'self'", "connect-src 'self'; worker-src blob:")
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
