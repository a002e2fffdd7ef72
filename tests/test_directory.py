"""The directory: CSV import, the employees API, and how boards follow people."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from recognition.extensions import db
from recognition.people import Employee, Team
from scoring.models import Event, PointAward
from tests.helpers import add_person, event, token

NOW = "2026-11-20T12:00:00+00:00"  # a Friday
MORNING = "2026-11-20T09:30:00+00:00"
HEADER = "employee_id,email,name,team,manager_id,role"


def import_csv(runner, tmp_path, *rows: str, header: str = HEADER, name: str = "people.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return runner.invoke(args=["laurel", "import-employees", str(path)])


def person(employee_id: str) -> Employee | None:
    db.session.expire_all()
    return db.session.scalar(select(Employee).where(Employee.external_id == employee_id))


def people_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Employee))


def board(client, headers, period: str = "all", team: str | None = None) -> dict:
    url = f"/api/v1/leaderboard?period={period}&limit=100"
    if team:
        url += f"&team={team}"
    resp = client.get(url, headers=headers)
    assert resp.status_code == 200, resp.json
    return {e["employee_id"]: e for e in resp.json["entries"]}


def post_events(client, headers, *items: dict) -> dict:
    resp = client.post("/api/v1/events", json={"events": list(items)}, headers=headers)
    assert resp.status_code == 202, resp.json
    return resp.json


def put_employee(client, headers, employee_id: str, **body):
    body.setdefault("email", f"{employee_id.lower()}@example.com")
    body.setdefault("name", f"Person {employee_id}")
    return client.put(f"/api/v1/employees/{employee_id}", json=body, headers=headers)


# --- CSV import -------------------------------------------------------------


def test_csv_import_creates_people_and_teams(runner, tmp_path):
    result = import_csv(
        runner,
        tmp_path,
        "M1,grace.hopper@example.com,Grace Hopper,Customer Success,,manager",
        "E1,ada.lovelace@example.com,Ada Lovelace,Customer Success,M1,employee",
        "E2,alan.turing@example.com,Alan Turing,engineering,M1,employee",
    )

    assert result.exit_code == 0, result.output
    assert "3 created, 0 updated, 0 rows with errors" in result.output
    teams = {t.slug: t.name for t in db.session.scalars(select(Team))}
    assert teams == {"customer-success": "Customer Success", "engineering": "Engineering"}
    ada = person("E1")
    assert ada.to_dict() == {
        "employee_id": "E1",
        "email": "ada.lovelace@example.com",
        "name": "Ada Lovelace",
        "team": "customer-success",
        "team_name": "Customer Success",
        "manager_id": "M1",
        "role": "employee",
        "active": True,
    }
    assert person("M1").role == "manager"
    assert person("E2").team.slug == "engineering"


def test_csv_blank_role_or_team_means_the_default(runner, tmp_path):
    result = import_csv(runner, tmp_path, "E1,ada@example.com,Ada Lovelace,,,")

    assert result.exit_code == 0, result.output
    ada = person("E1")
    assert (ada.role, ada.team, ada.manager) == ("employee", None, None)


def test_csv_reimport_updates_people_without_duplicates(runner, tmp_path):
    rows = [
        "M1,grace.hopper@example.com,Grace Hopper,Sales,,manager",
        "E1,ada.lovelace@example.com,Ada Lovelace,Sales,M1,employee",
    ]
    assert import_csv(runner, tmp_path, *rows).exit_code == 0

    result = import_csv(
        runner,
        tmp_path,
        rows[0],
        "E1,Ada.King@Example.com,Ada King,Marketing,M1,admin",
        name="again.csv",
    )

    assert result.exit_code == 0, result.output
    assert "0 created, 2 updated, 0 rows with errors" in result.output
    assert people_count() == 2
    ada = person("E1")
    assert (ada.name, ada.email, ada.team.slug, ada.role) == (
        "Ada King",
        "ada.king@example.com",
        "marketing",
        "admin",
    )


def test_csv_bad_rows_are_reported_by_line_and_good_rows_kept(runner, tmp_path):
    result = import_csv(
        runner,
        tmp_path,
        "M1,grace.hopper@example.com,Grace Hopper,Sales,,manager",  # line 2
        "E1,not-an-email,Bad Email,Sales,M1,employee",  # line 3
        "E2,e2@example.com,Bad Role,Sales,M1,overlord",  # line 4
        "E3,e3@example.com,Bad Manager,Sales,NOBODY,employee",  # line 5
        "E4,e4@example.com,Fine Person,Sales,M1,employee",  # line 6
    )

    assert result.exit_code == 1
    errors = result.stderr
    assert "line 3: email" in errors
    assert "line 4: role" in errors
    assert "line 5: manager_id" in errors and "NOBODY" in errors
    assert "line 2" not in errors and "line 6" not in errors
    assert "2 created, 0 updated, 3 rows with errors" in result.stdout
    stored = set(db.session.scalars(select(Employee.external_id)))
    assert stored == {"M1", "E4"}


def test_csv_missing_header_column_fails_clearly(runner, tmp_path):
    result = import_csv(
        runner,
        tmp_path,
        "E1,ada@example.com,Ada,Sales,",
        header="employee_id,email,name,team,manager_id",
    )

    assert result.exit_code != 0
    assert "lacks column(s): role" in result.output
    assert people_count() == 0


def test_csv_manager_listed_after_their_report_still_links(runner, tmp_path):
    result = import_csv(
        runner,
        tmp_path,
        "E1,ada@example.com,Ada Lovelace,Sales,E2,employee",
        "E2,bob@example.com,Bob Manager,Sales,E3,manager",
        "E3,cleo@example.com,Cleo Head,,,manager",
    )

    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    assert person("E1").manager.external_id == "E2"
    assert person("E2").manager.external_id == "E3"


def test_csv_saved_by_a_spreadsheet_with_bom_and_crlf_imports(runner, tmp_path):
    path = tmp_path / "excel.csv"
    text = f"{HEADER}\r\nE1,ada@example.com,Ada Lovelace,Sales,,employee\r\n"
    path.write_bytes(text.encode("utf-8-sig"))

    result = runner.invoke(args=["laurel", "import-employees", str(path)])

    assert result.exit_code == 0, result.output
    assert person("E1").team.slug == "sales"


# --- PUT / GET /api/v1/employees/<id> ---------------------------------------


def test_put_employee_needs_directory_write_scope(client):
    body = {"email": "e1@example.com", "name": "Ada"}

    anonymous = client.put("/api/v1/employees/E1", json=body)
    read_only = client.put("/api/v1/employees/E1", json=body, headers=token("read"))

    assert anonymous.status_code == 401
    assert anonymous.mimetype == "application/problem+json"
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert read_only.status_code == 403
    assert read_only.mimetype == "application/problem+json"
    assert people_count() == 0


def test_put_employee_creates_then_updates(client):
    headers = token("directory:write")

    created = put_employee(client, headers, "E1", name="Ada Lovelace", team="Sales")
    updated = put_employee(client, headers, "E1", name="Ada King", team="Sales", role="manager")

    assert created.status_code == 201, created.json
    assert created.json["employee_id"] == "E1"
    assert created.json["team"] == "sales"
    assert updated.status_code == 200, updated.json
    assert updated.json["name"] == "Ada King"
    assert updated.json["role"] == "manager"
    assert people_count() == 1


def test_put_employee_with_invalid_input_is_422_naming_the_field(client):
    headers = token("directory:write")
    add_person("M1")

    cases = {
        "email": {"email": "nope", "name": "Ada"},
        "role": {"email": "e1@example.com", "name": "Ada", "role": "overlord"},
        "manager_id": {"email": "e1@example.com", "name": "Ada", "manager_id": "NOBODY"},
        "name": {"email": "e1@example.com"},
    }
    for field, body in cases.items():
        resp = client.put("/api/v1/employees/E1", json=body, headers=headers)
        assert resp.status_code == 422, (field, resp.json)
        assert resp.mimetype == "application/problem+json"
        assert field in resp.json["errors"], (field, resp.json)

    clash = client.put(
        "/api/v1/employees/E1", json={"email": "m1@example.com", "name": "Ada"}, headers=headers
    )
    assert clash.status_code == 422
    assert "email" in clash.json["errors"]
    assert people_count() == 1


def test_get_employee_needs_read_scope_and_returns_periods(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    headers = token("events:write", "read")
    post_events(client, headers, event("E1", MORNING))
    work()

    assert client.get("/api/v1/employees/E1").status_code == 401
    assert client.get("/api/v1/employees/E1", headers=token("directory:write")).status_code == 403
    resp = client.get("/api/v1/employees/E1", headers=headers)

    assert resp.status_code == 200, resp.json
    assert resp.json["employee_id"] == "E1"
    periods = resp.json["periods"]
    assert set(periods) == {"week", "month", "30d", "all"}
    for name, period in periods.items():
        assert period["points"] == 10, name
        assert period["rank"] == 1, name
        assert period["team_rank"] == 1, name


def test_get_unknown_employee_is_404_problem(client):
    resp = client.get("/api/v1/employees/NOBODY", headers=token("read"))

    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"
    assert "NOBODY" in resp.json["detail"]


# --- Held events and directory changes --------------------------------------


def test_event_for_unknown_person_is_held_and_scores_after_csv_import(
    client, runner, work, freeze_time, tmp_path
):
    freeze_time(NOW)
    headers = token("events:write", "read")

    report = post_events(client, headers, event("E9", MORNING))
    work()

    assert report["held"] == 1
    assert report["results"][0]["status"] == "held"
    assert board(client, headers) == {}

    result = import_csv(runner, tmp_path, "E9,e9@example.com,Late Joiner,Sales,,employee")
    assert result.exit_code == 0, result.output
    work()

    assert board(client, headers)["E9"]["points"] == 10
    assert board(client, headers, "week", team="sales")["E9"]["rank"] == 1
    periods = client.get("/api/v1/employees/E9", headers=headers).json["periods"]
    assert periods["all"]["points"] == 10
    assert periods["week"]["rank"] == 1


def test_event_for_unknown_person_is_held_and_scores_after_put(client, work, freeze_time):
    freeze_time(NOW)
    headers = token("events:write", "read")
    report = post_events(
        client,
        headers,
        event("E9", MORNING),
        event("E9", MORNING, "like", count=5),
    )
    work()
    assert [r["status"] for r in report["results"]] == ["held", "held"]
    assert board(client, headers) == {}

    resp = put_employee(client, token("directory:write"), "E9", team="Sales")
    assert resp.status_code == 201, resp.json
    work()

    assert board(client, headers)["E9"]["points"] == 15
    assert board(client, headers, "month")["E9"]["points"] == 15
    periods = client.get("/api/v1/employees/E9", headers=headers).json["periods"]
    assert {p: v["points"] for p, v in periods.items()} == {
        "week": 15,
        "month": 15,
        "30d": 15,
        "all": 15,
    }


def test_person_who_moves_team_moves_to_the_new_team_board(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1", team="sales")
    add_person("E2", team="sales")
    headers = token("events:write", "read")
    post_events(client, headers, event("E1", MORNING), event("E2", MORNING, "comment"))
    work()
    assert set(board(client, headers, "week", team="sales")) == {"E1", "E2"}

    resp = put_employee(client, token("directory:write"), "E1", team="Marketing")
    assert resp.status_code == 200, resp.json
    work()

    for period in ("week", "month", "30d", "all"):
        assert set(board(client, headers, period, team="sales")) == {"E2"}, period
        marketing = board(client, headers, period, team="marketing")
        assert marketing["E1"]["points"] == 10, period
        assert board(client, headers, period)["E1"]["team"] == "marketing", period
    periods = client.get("/api/v1/employees/E1", headers=headers).json["periods"]
    assert periods["week"]["team_rank"] == 1


def test_renamed_person_shows_the_new_name_on_the_boards(client, work, freeze_time):
    freeze_time(NOW)
    add_person("E1", name="Ada Byron")
    headers = token("events:write", "read")
    post_events(client, headers, event("E1", MORNING))
    work()

    resp = put_employee(client, token("directory:write"), "E1", name="Ada Lovelace", team="sales")
    assert resp.status_code == 200, resp.json
    work()

    assert board(client, headers, "week")["E1"]["name"] == "Ada Lovelace"
    assert board(client, headers, "all", team="sales")["E1"]["name"] == "Ada Lovelace"


def test_deactivated_person_leaves_the_boards(client, runner, work, freeze_time):
    freeze_time(NOW)
    add_person("E1")
    add_person("E2")
    headers = token("events:write", "read")
    post_events(client, headers, event("E1", MORNING), event("E2", MORNING, "comment"))
    work()
    assert set(board(client, headers)) == {"E1", "E2"}

    writer = token("directory:write")
    resp = put_employee(client, writer, "E1", team="sales", active=False)
    assert resp.status_code == 200, resp.json
    assert resp.json["active"] is False
    work()

    for period in ("week", "month", "30d", "all"):
        assert set(board(client, headers, period)) == {"E2"}, period
        assert set(board(client, headers, period, team="sales")) == {"E2"}, period
    assert (
        client.get("/api/v1/employees/E1", headers=headers).json["periods"]["all"]["rank"] is None
    )
    # A rebuild from the ledger agrees with the live boards.
    assert runner.invoke(args=["laurel", "rebuild"]).exit_code == 0
    assert set(board(client, headers)) == {"E2"}

    put_employee(client, writer, "E1", team="sales", active=True)
    work()
    assert board(client, headers)["E1"]["points"] == 10


def test_csv_without_active_column_keeps_a_deactivated_person_out(client, runner, tmp_path):
    writer = token("directory:write")
    put_employee(client, writer, "E1", role="admin")
    put_employee(client, writer, "E1", active=False)
    assert person("E1").role == "admin"  # left out of the PUT: kept
    result = import_csv(runner, tmp_path, "E1,e1@example.com,Person E1,sales,,")
    assert result.exit_code == 0, result.output
    again = person("E1")
    assert again.active is False and again.role == "admin"


# --- Demo organisation ------------------------------------------------------


def test_demo_seed_builds_a_living_organisation(client, freeze_time):
    from recognition.seed import seed_demo

    now = freeze_time(NOW)

    summary = seed_demo(people=30, days=14, random_seed=3)

    assert summary["people"] == 30 == people_count()
    assert summary["teams"] == 8 == db.session.scalar(select(func.count()).select_from(Team))
    assert summary["events"] > 50
    assert summary["events"] == db.session.scalar(select(func.count()).select_from(Event))
    for team in db.session.scalars(select(Team)):
        roles = db.session.scalars(select(Employee.role).where(Employee.team_id == team.id))
        assert "manager" in set(roles), team.slug
    roles = list(db.session.scalars(select(Employee.role)))
    assert roles.count("admin") == 2
    assert roles.count("employee") > 15
    emails = list(db.session.scalars(select(Employee.email)))
    assert len(set(emails)) == 30 and all(e.endswith("@example.com") for e in emails)
    latest = db.session.scalar(select(func.max(Event.occurred_at)))
    assert latest <= now
    assert db.session.scalar(select(func.min(Event.occurred_at))) >= now - dt.timedelta(days=15)
    # Scored synchronously: every event has its ledger row without a worker.
    scored = select(func.count(func.distinct(PointAward.cause_id))).where(
        PointAward.cause_type == "event"
    )
    assert db.session.scalar(scored) == summary["events"]

    headers = {"Authorization": f"Bearer {summary['demo API token']}"}
    week = client.get("/api/v1/leaderboard?period=week&limit=100", headers=headers).json
    assert week["total"] >= 3
    ranks = [e["rank"] for e in week["entries"]]
    assert ranks[0] == 1 and ranks == sorted(ranks)
    everyone = client.get("/api/v1/leaderboard?period=all&limit=100", headers=headers).json
    assert 0 < everyone["total"] < 30  # some people never shared


def test_seed_demo_command_prints_a_summary_and_a_token_once(runner, freeze_time):
    freeze_time(NOW)

    first = runner.invoke(args=["laurel", "seed-demo", "--people", "12", "--days", "5"])
    again = runner.invoke(args=["laurel", "seed-demo", "--if-empty"])

    assert first.exit_code == 0, first.output
    assert "12 people" in first.output and "teams" in first.output
    assert "lrl_" in first.output and "demo API token" in first.output
    assert again.exit_code == 0
    assert "skipped" in again.output
    assert people_count() == 12


def test_demo_data_is_deterministic_for_a_seed():
    from recognition.seed import _events, _organisation

    now = dt.datetime.fromisoformat(NOW)
    tz = ZoneInfo("Europe/Berlin")

    def build(seed: int):
        rng = random.Random(seed)
        members = _organisation(rng, 40)
        return [m.record() for m in members], _events(rng, members, 10, now, tz, seed)

    first, second, other = build(5), build(5), build(6)

    assert first == second
    assert first != other
    assert [item["occurred_at"] for item in first[1]] == sorted(
        item["occurred_at"] for item in first[1]
    )
