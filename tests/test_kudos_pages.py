"""Kudos pages: give (plain form and htmx), the feed, reactions, admin review and settings."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from recognition.extensions import db
from recognition.kudos import service
from recognition.kudos.models import Kudos, KudosSettingsVersion
from scoring.models import Event, Notification
from tests.helpers import add_person, sign_in

NOW = "2026-03-10T12:00:00+00:00"
HX = {"HX-Request": "true"}


@pytest.fixture
def org(app, freeze_time):
    freeze_time(NOW)
    return {
        "admin": add_person("A1", name="Ada Admin", role="admin"),
        "manager": add_person("M1", name="Max Manager", role="manager"),
        "employee": add_person("E1", name="Eve Employee", manager_id="M1"),
        "other": add_person("E2", name="Bob Builder"),
    }


def _post(client, csrf, headers=None, **form):
    data = {"csrf_token": csrf, "form_token": "t-1", "message": "Thanks for the demo!", **form}
    return client.post("/kudos/give", data=data, headers=headers or {})


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Kudos))


def test_give_as_a_plain_form(client, org):
    csrf = sign_in(client, org["employee"])
    page = client.get("/kudos/give?to=E2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'value="E2" id="to-E2" checked' in html
    assert "Allowance left this month: <strong>100</strong>" in html
    assert "resets 1 April 2026" in html
    r = _post(client, csrf, receivers="E2", points="10", value="teamwork")
    assert r.status_code == 302 and "/kudos#kudos-" in r.headers["Location"]
    assert _count() == 1
    # The same form token again (a double click): still one kudos.
    _post(client, csrf, receivers="E2", points="10", value="teamwork")
    assert _count() == 1
    r = _post(client, csrf, headers=HX, receivers="E2", form_token="t-2")
    assert r.status_code == 200 and r.headers["HX-Redirect"].startswith("/kudos#kudos-")
    assert _count() == 2
    feed = client.get("/kudos").get_data(as_text=True)
    assert "Eve Employee</a> thanked" in feed and "+10 points each" in feed


def test_errors_beside_fields_keep_what_was_typed(client, org):
    csrf = sign_in(client, org["employee"])
    r = _post(client, csrf, receivers="E2", points="500", message="Great work on the launch")
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="points-error">allowance left: 100' in html
    assert ">Great work on the launch</textarea>" in html
    assert 'value="E2" id="to-E2" checked' in html
    r = _post(client, csrf, headers=HX, receivers="E1", message="hi")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert html.lstrip().startswith("<form") and "no kudos to yourself" in html
    assert "at least 10 characters" in html
    assert _count() == 0


def test_search_as_you_type_and_without_javascript(client, org):
    csrf = sign_in(client, org["employee"])
    r = client.get("/kudos/colleagues?q=bob", headers=HX)
    assert 'value="E2"' in r.get_data(as_text=True)
    assert "Eve" not in client.get("/kudos/colleagues?q=eve").get_data(as_text=True)
    r = _post(client, csrf, q="builder", search="1", message="half typed")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'id="find-E2"' in html and ">half typed</textarea>" in html


def test_messages_are_plain_text(client, org):
    csrf = sign_in(client, org["employee"])
    _post(client, csrf, receivers="E2", message="<script>alert(1)</script> <b>thanks</b>")
    html = client.get("/kudos").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;thanks&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html


def test_feed_loads_more_and_filters_by_team(client, org):
    for i in range(25):
        service.give(
            service.GiveRequest(org["employee"].id, (org["other"].id,), f"Thanks number {i:02d}")
        )
    sign_in(client, org["manager"])
    html = client.get("/kudos").get_data(as_text=True)
    assert html.count('class="notification kudos"') == 20
    assert "Thanks number 24" in html and "Thanks number 04" not in html
    cursor = html.split("before=")[1].split('"')[0]
    more = client.get(f"/kudos?before={cursor}", headers=HX).get_data(as_text=True)
    assert more.count('class="notification kudos"') == 5 and "Thanks number 00" in more
    assert "<html" not in more
    assert client.get("/kudos?team=sales").status_code == 200
    assert client.get("/kudos?team=nope").status_code == 404


def test_reactions_in_place(client, org):
    kudos, _ = service.give(
        service.GiveRequest(org["employee"].id, (org["other"].id,), "Thanks for the help")
    )
    csrf = sign_in(client, org["manager"])
    r = client.post(
        f"/kudos/{kudos.id}/reaction",
        data={"csrf_token": csrf},
        headers=HX,
    )
    html = r.get_data(as_text=True)
    assert "1 reaction<" in html and 'aria-pressed="true"' in html
    r = client.post(
        f"/kudos/{kudos.id}/reaction",
        data={"csrf_token": csrf, "undo": "1"},
    )
    assert r.status_code == 302
    assert service.reaction_counts([kudos.id]) == {}


def test_me_page_shows_kudos_received_this_month_and_the_compact_form(client, org):
    service.give(
        service.GiveRequest(org["employee"].id, (org["other"].id,), "Thanks for the help", points=7)
    )
    sign_in(client, org["other"])
    html = client.get("/").get_data(as_text=True)
    assert "Received this month: <strong>1</strong> kudos, 7 points." in html
    assert 'id="give-form"' in html


def test_profile_shows_kudos_and_thank_for_this_share(client, org, work):
    db.session.add(
        Event(
            source="t",
            external_id="s1",
            type="share",
            employee_ref="E2",
            network="linkedin",
            occurred_at=__import__("datetime").datetime.fromisoformat(NOW),
            payload_hash="x",
        )
    )
    db.session.commit()
    event_id = db.session.scalar(select(Event.id))
    csrf = sign_in(client, org["employee"])
    html = client.get("/people/E2").get_data(as_text=True)
    assert f"event={event_id}" in html and "Thank for this share" in html
    r = _post(client, csrf, receivers="E2", event=str(event_id))
    assert r.status_code == 302
    assert db.session.scalar(select(Kudos.event_id)) == event_id
    html = client.get("/people/E2").get_data(as_text=True)
    assert "Kudos received" in html and "Thanks for the demo!" in html
    r = _post(client, csrf, receivers="E1", event=str(event_id), form_token="t-2")
    assert "the share must be by one of the receivers" in r.get_data(as_text=True)


def test_signed_out_writes_go_to_sign_in(client, org):
    assert _count() == 0
    for path in (
        "/kudos/give",
        "/kudos/1/reaction",
        "/kudos/1/comments",
        "/admin/kudos/1/reverse",
        "/admin/kudos/settings",
    ):
        r = client.post(path, data={"reason": "x"})
        assert r.status_code == 302 and "sign-in" in r.headers["Location"]
    assert _count() == 0


@pytest.mark.parametrize("role", ["employee", "manager"])
def test_admin_pages_are_refused_to_non_admins(client, org, role):
    kudos, _ = service.give(
        service.GiveRequest(org["other"].id, (org["admin"].id,), "Thanks for the help", points=5)
    )
    csrf = sign_in(client, org[role])
    assert client.get("/admin/kudos").status_code == 403
    r = client.post(f"/admin/kudos/{kudos.id}/reverse", data={"csrf_token": csrf, "reason": "x"})
    assert r.status_code == 403
    r = client.post("/admin/kudos/settings", data={"csrf_token": csrf, "allowance": "5"})
    assert r.status_code == 403
    assert db.session.get(Kudos, kudos.id).reversed_at is None
    # They may give kudos, though.
    assert _post(client, csrf, receivers="A1").status_code == 302


def test_admin_reviews_flags_and_reverses(client, org):
    kudos, _ = service.give(
        service.GiveRequest(
            org["employee"].id, (org["other"].id,), "Thanks for everything", points=50
        )
    )
    csrf = sign_in(client, org["admin"])
    html = client.get("/admin/kudos").get_data(as_text=True)
    assert "Concentrated giving" in html and "Eve Employee to Bob Builder" in html
    r = client.post(f"/admin/kudos/{kudos.id}/reverse", data={"csrf_token": csrf, "reason": ""})
    assert db.session.get(Kudos, kudos.id).reversed_at is None
    r = client.post(
        f"/admin/kudos/{kudos.id}/reverse", data={"csrf_token": csrf, "reason": "traded"}
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Kudos, kudos.id).reversed_reason == "traded"
    assert "Nothing flagged" in client.get("/admin/kudos").get_data(as_text=True)


def test_admin_settings_validate_and_version(client, org):
    csrf = sign_in(client, org["admin"])
    page = client.get("/admin/kudos/settings")
    assert page.status_code == 200 and "the defaults" in page.get_data(as_text=True)
    form = {
        "csrf_token": csrf,
        "allowance": "lots",
        "manager_bonus_per_report": "10",
        "pair_cap": "50",
        "min_message_length": "0",
        "fairness_share": "2",
        "fairness_min_points": "40",
        "trade_threshold": "40",
        "values": "teamwork, Bad Value",
        "role_allowances": '{"boss": 5}',
        "team_allowances": "{}",
    }
    r = client.post("/admin/kudos/settings", data=form)
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    assert 'id="s-allowance-error">a whole number' in html
    assert db.session.scalar(select(func.count()).select_from(KudosSettingsVersion)) == 0
    form.update(
        allowance="120", min_message_length="5", fairness_share="0.5", values="teamwork, craft"
    )
    form["role_allowances"] = '{"manager": 150}'
    r = client.post("/admin/kudos/settings", data=form)
    assert r.status_code == 302
    settings = service.current_settings()
    assert (settings.version, settings.allowance, settings.values) == (
        1,
        120,
        ("teamwork", "craft"),
    )
    assert settings.role_allowances == {"manager": 150}
    assert service.allowance(org["manager"]).allowance == 150 + 10


def test_comments_in_place_as_text_and_errors_keep_what_was_typed(client, org):
    kudos, _ = service.give(
        service.GiveRequest(org["employee"].id, (org["other"].id,), "Thanks for the help")
    )
    csrf = sign_in(client, org["manager"])
    url = f"/kudos/{kudos.id}/comments"
    r = client.post(url, data={"csrf_token": csrf, "message": "  <b>Well</b> done!  "}, headers=HX)
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert "&lt;b&gt;Well&lt;/b&gt; done!" in html and "<b>Well" not in html
    assert "Max Manager" in html
    r = client.post(url, data={"csrf_token": csrf, "message": "x" * 501}, headers=HX)
    html = r.get_data(as_text=True)
    assert "at most 500 characters" in html and 'value="' + "x" * 501 + '"' in html
    assert 'aria-invalid="true"' in html
    # Without JavaScript: back to the kudos in the feed, which shows the comment.
    r = client.post(url, data={"csrf_token": csrf, "message": "Agreed"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"#kudos-{kudos.id}")
    feed = client.get("/kudos").get_data(as_text=True)
    assert feed.index("Well&lt;/b&gt; done!") < feed.index("Agreed")
    # The giver and the receiver were told; the author was not.
    told = db.session.scalars(
        select(Notification.employee_id).where(Notification.kind == "kudos_comment")
    ).all()
    assert sorted(told) == sorted([org["employee"].id, org["other"].id] * 2)
    assert (
        client.post(
            "/kudos/999/comments", data={"csrf_token": csrf, "message": "hi"}, headers=HX
        ).status_code
        == 404
    )


def test_a_reversed_kudos_takes_no_comments(client, org):
    kudos, _ = service.give(
        service.GiveRequest(org["employee"].id, (org["other"].id,), "Thanks for the help")
    )
    service.reverse(kudos.id, "duplicate", by="admin@example.com")
    csrf = sign_in(client, org["manager"])
    r = client.post(
        f"/kudos/{kudos.id}/comments", data={"csrf_token": csrf, "message": "hi"}, headers=HX
    )
    assert "reversed" in r.get_data(as_text=True)
    assert 'name="message"' not in r.get_data(as_text=True)
    assert service.comments(kudos.id) == []
