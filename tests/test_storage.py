"""The bulk SQL helpers keep every value intact on the backend under test."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from recognition.extensions import db
from recognition.people import Employee
from scoring.models import Notification
from scoring.storage import among, insert_many
from tests.helpers import add_person

AWKWARD = [
    'quote " inside',
    'back\\slash and \\" both',
    "{braces}, commas, and 'apostrophes'",
    "NULL",
    "",
    "  padded  ",
    "émoji 🎉 and ümlauts",
    "new\nline\ttab",
]


def test_insert_many_keeps_awkward_text_nulls_and_times(app):
    person = add_person("E1")
    when = dt.datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=dt.UTC)
    rows = [
        {
            "employee_id": person.id,
            "kind": "test",
            "key": f"k{i}",
            "title": text,
            "body": None if i % 2 else text,
            "link": None,
            "created_at": when + dt.timedelta(minutes=i),
        }
        for i, text in enumerate(AWKWARD)
    ]
    insert_many(Notification.__table__, rows, conflict=("employee_id", "key"))
    # The same keys again are skipped, not duplicated or overwritten.
    insert_many(
        Notification.__table__,
        [{**row, "title": "changed"} for row in rows],
        conflict=("employee_id", "key"),
    )
    db.session.commit()
    stored = db.session.execute(
        select(Notification.key, Notification.title, Notification.body, Notification.created_at)
        .where(Notification.kind == "test")
        .order_by(Notification.created_at)
    ).all()
    assert [(r.key, r.title, r.body, r.created_at) for r in stored] == [
        (row["key"], row["title"], row["body"], row["created_at"]) for row in rows
    ]


def test_among_matches_text_and_ids_like_in(app):
    people = [add_person(f"E{i}", name=name) for i, name in enumerate(AWKWARD)]
    wanted = ['quote " inside', "NULL", 'back\\slash and \\" both', "nobody"]
    names = set(db.session.scalars(select(Employee.name).where(among(Employee.name, wanted))))
    assert names == set(wanted) - {"nobody"}
    ids = [people[0].id, people[3].id, 999_999]
    found = set(db.session.scalars(select(Employee.id).where(among(Employee.id, ids))))
    assert found == {people[0].id, people[3].id}
    assert db.session.scalars(select(Employee.id).where(among(Employee.id, []))).all() == []


def test_array_parameters_reach_postgresql_as_the_array_type():
    # Cast from VARCHAR, PostgreSQL re-parses the array for every row a filter
    # checks (hundreds of times slower); untyped, it plans with a constant.
    from sqlalchemy.dialects.postgresql import psycopg

    from scoring.storage import _array_param

    sql = str(_array_param([1, 2], Employee.id).compile(dialect=psycopg.dialect()))
    assert sql == "CAST(%(param_1)s AS INTEGER[])"


def test_insert_many_copies_only_the_rows_it_wrote(app):
    """How a new event lands in the outbox: in the same statement, conflicts skipped."""
    from scoring.models import Event, PendingEvent

    when = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)

    def row(external_id: str) -> dict:
        return {
            "source": "s",
            "external_id": external_id,
            "type": "like",
            "employee_ref": f"ref-{external_id}",
            "network": "x",
            "occurred_at": when,
            "count": 1,
            "payload_hash": external_id,
            "received_at": when,
        }

    copy_into = (
        PendingEvent.__table__,
        {"event_id": "id", "employee_ref": "employee_ref", "received_at": "received_at"},
    )
    args = {"conflict": ("source", "external_id"), "returning": ("id", "external_id")}
    first = insert_many(Event.__table__, [row("a"), row("b")], copy_into=copy_into, **args)
    again = insert_many(Event.__table__, [row("b"), row("c")], copy_into=copy_into, **args)
    db.session.commit()
    assert [r[1] for r in first] == ["a", "b"] and [r[1] for r in again] == ["c"]
    pending = db.session.execute(
        select(PendingEvent.event_id, PendingEvent.employee_ref, PendingEvent.received_at)
    ).all()
    ids = {r[1]: r[0] for r in [*first, *again]}
    assert sorted(pending) == sorted((ids[k], f"ref-{k}", when) for k in "abc")
