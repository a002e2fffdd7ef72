"""outbox and dead letters, backfill flag on events, 64-bit totals

- `pending_events`: the committed, unscored events (the outbox the relay
  reads). Filled here with every event that has no ledger row in the live
  generation yet, held ones included.
- `dead_letters`: events whose scoring failed on their own, set aside.
- `events.backfill`: the event may earn points however late it arrived.
  Events stored before this revision were accepted when there was no age
  limit, so they are marked as backfill: a re-score keeps their points.
- Points, quantities and daily sums become BIGINT (a 4-byte total overflowed).
  On PostgreSQL this rewrites point_awards, daily_totals and employee_scores
  once each (one ALTER TABLE per table); expect it to take a while on a big
  ledger.

Revision ID: 0010_outbox_dead_letters_bigint
Revises: 0009_web_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_outbox_dead_letters_bigint"
down_revision = "0009_web_sessions"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
WIDENED = {
    "point_awards": ["quantity", "points", "base_points"],
    "daily_totals": [
        "scoring_shares",
        "share_points",
        "engagement_points",
        "points",
        "shares",
        "engagements",
    ],
    "employee_scores": ["points"],
}


def _retype(table: str, columns: list[str], old, new) -> None:
    if op.get_bind().dialect.name == "postgresql":
        # One statement per table, so PostgreSQL rewrites each table once.
        name = new().compile(dialect=op.get_bind().dialect)
        clauses = ", ".join(f"ALTER COLUMN {c} TYPE {name}" for c in columns)
        op.execute(f"ALTER TABLE {table} {clauses}")
        return
    with op.batch_alter_table(table) as batch:
        for column in columns:
            batch.alter_column(column, existing_type=old(), type_=new(), existing_nullable=False)


def upgrade():
    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column("backfill", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("events") as batch:
        batch.alter_column("backfill", existing_type=sa.Boolean(), server_default=sa.false())

    for table, columns in WIDENED.items():
        _retype(table, columns, sa.Integer, sa.BigInteger)

    op.create_table(
        "pending_events",
        sa.Column("event_id", BigId, autoincrement=False, nullable=False),
        sa.Column("employee_ref", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_pending_events")),
    )
    op.execute(
        """
        INSERT INTO pending_events (event_id, employee_ref, received_at)
        SELECT e.id, e.employee_ref, e.received_at FROM events e
        WHERE NOT EXISTS (
            SELECT 1 FROM point_awards a
            JOIN ledger_generations g ON g.id = a.generation AND g.state = 'live'
            WHERE a.cause_id = e.id AND a.cause_type = 'event'
        )
        """
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", BigId, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_dead_letters_event_id_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
        sa.UniqueConstraint("event_id", name=op.f("uq_dead_letters_event_id")),
    )


def downgrade():
    op.drop_table("dead_letters")
    op.drop_table("pending_events")
    for table, columns in WIDENED.items():
        _retype(table, columns, sa.BigInteger, sa.Integer)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("backfill")
