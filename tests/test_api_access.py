"""Who the API lets in and what it shows them: tokens, scopes, privacy."""

from __future__ import annotations

from recognition.tokens import create_token
from tests.helpers import add_person

NOW = "2026-11-20T12:00:00+00:00"


def test_the_bearer_scheme_is_case_insensitive(client, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    _, secret = create_token("test-sync", ["read"])
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"]:
        resp = client.get("/api/v1/employees/E1", headers={"Authorization": f"{scheme} {secret}"})
        assert resp.status_code == 200, scheme
    for header in [f"Basic {secret}", f"Bearer{secret}", "Bearer ", secret, f"Token {secret}"]:
        resp = client.get("/api/v1/employees/E1", headers={"Authorization": header})
        assert resp.status_code == 401, header
