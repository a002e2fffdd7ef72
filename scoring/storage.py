"""Small SQL helpers that differ by backend."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from operator import itemgetter

from sqlalchemy import (
    ARRAY,
    JSON,
    ColumnElement,
    Table,
    any_,
    bindparam,
    cast,
    func,
    select,
    text,
    tuple_,
)
from sqlalchemy.types import NullType

from recognition.extensions import db


def insert_many(
    table: Table,
    rows: list[dict],
    conflict: tuple[str, ...] = (),
    replace: tuple[str, ...] = (),
    add: tuple[str, ...] = (),
    keep: tuple[str, ...] = (),
    returning: tuple[str, ...] = (),
    copy_into: tuple[Table, dict[str, str]] | None = None,
) -> list:
    """INSERT many rows; on a `conflict` key, overwrite `replace` columns and add to `add`.

    PostgreSQL gets one statement over arrays (INSERT ... SELECT FROM unnest),
    which is many times faster than a statement per row; SQLite gets executemany.
    Without `replace`/`add`, conflicting rows are skipped; `keep` rewrites
    columns with their own value, which locks the existing row and lets
    `returning` report it. With `returning`, gives back those columns of the
    rows written. `copy_into=(other, {other_column: column})` also inserts the
    rows written into `other` (on PostgreSQL in the same statement).
    """
    if not rows:
        return []
    if copy_into is not None:
        return _insert_and_copy(table, rows, conflict, returning, copy_into)
    columns = list(rows[0])
    names = ", ".join(columns)
    sets = [f"{c} = excluded.{c}" for c in replace]
    sets += [f"{c} = {table.name}.{c} + excluded.{c}" for c in add]
    sets += [f"{c} = {table.name}.{c}" for c in keep]
    on_conflict = ""
    if conflict:
        action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
        on_conflict = f" ON CONFLICT ({', '.join(conflict)}) {action}"
    if returning:
        on_conflict += f" RETURNING {', '.join(returning)}"
    if is_postgres():
        dialect = db.session.get_bind().dialect
        arrays = ", ".join(
            f"CAST(:{c} AS {table.c[c].type.compile(dialect=dialect)}[])" for c in columns
        )
        sql = f"INSERT INTO {table.name} ({names}) SELECT * FROM unnest({arrays}){on_conflict}"
        result = db.session.execute(text(sql), _array_params(table, columns, rows))
        return result.all() if returning else []
    values = ", ".join(f":{c}" for c in columns)
    stmt = text(f"INSERT INTO {table.name} ({names}) VALUES ({values}){on_conflict}")
    stmt = stmt.bindparams(*(bindparam(c, type_=table.c[c].type) for c in columns))
    if not returning:
        db.session.execute(stmt, rows)
        return []
    # SQLite answers RETURNING per statement, so the rows go one at a time here.
    return [r for row in rows for r in db.session.execute(stmt, row).all()]


def _insert_and_copy(table, rows, conflict, returning, copy_into) -> list:
    """insert_many(..., copy_into=...): skip conflicts, copy what was written."""
    other, mapping = copy_into
    wanted = [*returning, *(c for c in mapping.values() if c not in returning)]
    if not is_postgres():
        written, copies = [], []
        for row in rows:
            for back in insert_many(table, [row], conflict, returning=tuple(wanted)):
                # The row's own (typed) values where it has them; the rest as returned.
                got = {c: row.get(c, v) for c, v in zip(wanted, back, strict=True)}
                written.append(tuple(got[c] for c in returning))
                copies.append({to: got[src] for to, src in mapping.items()})
        insert_many(other, copies)
        return written
    columns = list(rows[0])
    dialect = db.session.get_bind().dialect
    arrays = ", ".join(
        f"CAST(:{c} AS {table.c[c].type.compile(dialect=dialect)}[])" for c in columns
    )
    on_conflict = f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING" if conflict else ""
    sql = (
        f"WITH written AS (INSERT INTO {table.name} ({', '.join(columns)}) "
        f"SELECT * FROM unnest({arrays}){on_conflict} RETURNING {', '.join(wanted)}), "
        f"copied AS (INSERT INTO {other.name} ({', '.join(mapping)}) "
        f"SELECT {', '.join(mapping.values())} FROM written) "
        f"SELECT {', '.join(returning)} FROM written"
    )
    return db.session.execute(text(sql), _array_params(table, columns, rows)).all()


def _array_params(table: Table, columns: list[str], rows: list[dict]) -> dict[str, str]:
    """One array literal per column, JSON columns encoded first."""
    params = {}
    for c in columns:
        values = [row[c] for row in rows]
        if isinstance(table.c[c].type, JSON):
            values = [None if v is None else json.dumps(v) for v in values]
        params[c] = array_literal(values)
    return params


def copy_rows(table: Table, rows: list[dict]) -> None:
    """Append rows as fast as the backend allows: COPY on PostgreSQL.

    Only for rows that cannot conflict (the caller holds the locks that make
    sure), since COPY has no ON CONFLICT.
    """
    if not rows:
        return
    if not is_postgres():
        db.session.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    as_json = [isinstance(table.c[c].type, JSON) for c in columns]
    cursor = db.session.connection().connection.driver_connection.cursor()
    names = ", ".join(columns)
    if any(as_json):

        def values(row):
            return [
                json.dumps(row[c]) if j and row[c] is not None else row[c]
                for c, j in zip(columns, as_json, strict=True)
            ]

    elif len(columns) > 1:
        values = itemgetter(*columns)
    else:

        def values(row):
            return (row[columns[0]],)

    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(values(row))


def among(column, values: Iterable) -> ColumnElement[bool]:
    """`column IN (values)`, as one array parameter on PostgreSQL: `= ANY(:values)`.

    An IN list renders one placeholder per value, so every batch is a new SQL
    text to compile and convert; the array keeps the statement the same
    whatever the number of values.
    """
    values = list(values)
    if not is_postgres():
        return column.in_(values)
    return column == any_(_array_param(values, column))


def pairs_among(first, second, pairs: Iterable[tuple]) -> ColumnElement[bool]:
    """`(first, second) IN (pairs)`; on PostgreSQL a semi-join on two array parameters."""
    pairs = list(pairs)
    if not is_postgres():
        return tuple_(first, second).in_(pairs)
    arrays = (
        _array_param((p[i] for p in pairs), column) for i, column in enumerate((first, second))
    )
    rows = func.unnest(*arrays).table_valued("a", "b").render_derived()
    return tuple_(first, second).in_(select(rows.c.a, rows.c.b))


def _array_param(values: Iterable, column) -> ColumnElement:
    """An array literal parameter cast to the column's array type.

    The parameter goes untyped (no `::VARCHAR`), so PostgreSQL reads it as the
    array type and plans with a constant. Cast from a VARCHAR instead, the
    array is an expression re-parsed for every row a filter looks at.
    """
    return cast(bindparam(None, array_literal(values), type_=NullType()), ARRAY(column.type))


def array_literal(values: Iterable) -> str:
    """A PostgreSQL array literal (`{1,2,NULL}`) for a CAST(... AS type[]) parameter.

    Handles what the scoring tables hold: integers, booleans, dates, aware
    datetimes and text. Built with str.join it is several times faster than
    handing psycopg a list, which dumps and escapes element by element.
    """
    parts = []
    for v in values:
        if v is None:
            parts.append("NULL")
        elif isinstance(v, bool):
            parts.append("t" if v else "f")
        elif isinstance(v, int):
            parts.append(str(v))
        elif isinstance(v, dt.datetime):
            if v.tzinfo is None:
                raise ValueError("naive datetime in an array parameter")
            parts.append(v.isoformat())
        elif isinstance(v, dt.date):
            parts.append(v.isoformat())
        elif isinstance(v, str):
            parts.append('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"')
        else:
            raise TypeError(f"no array literal for {type(v).__name__}")
    return "{" + ",".join(parts) + "}"


def read(statement):
    """Run a SELECT on the session's connection, in its transaction, as plain Core.

    For columns (not entities) the result is the same as `db.session.execute`,
    without the ORM's per-row loading, which for the score job's few thousand
    rows cost more than the queries themselves.
    """
    return db.session.connection().execute(statement)


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def lock_scoring(generation_tables: list[str]) -> None:
    """Hold off every score job for the rest of this transaction.

    Score jobs insert into these tables before they write to Redis, so an
    EXCLUSIVE table lock waits for jobs in flight and blocks new ones; on
    SQLite the transaction already holds the database write lock.
    """
    if is_postgres():
        for name in generation_tables:
            db.session.execute(db.text(f"LOCK TABLE {name} IN EXCLUSIVE MODE"))
