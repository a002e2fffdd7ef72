"""kudos: thanks between colleagues, with points from a monthly allowance

- `kudos` and `kudos_receipts` (one per receiver; its id is the ledger row's cause).
- `kudos_allowances` (giver, month) and `kudos_pairs` (giver, receiver, month):
  counters with CHECK constraints, so no concurrent give can overspend.
- `kudos_reactions`: one "+1" per person and kudos.
- `kudos_settings`: the organisation's kudos settings, versioned.

Revision ID: 0011_kudos
Revises: 0010_outbox_dead_letters_bigint
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_kudos"
down_revision = "0010_outbox_dead_letters_bigint"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kudos_settings",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_kudos_settings")),
    )
    op.create_table(
        "kudos",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("giver_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("settings_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reversed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reversed_reason", sa.Text(), nullable=True),
        sa.Column("reversed_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint("points >= 0", name=op.f("ck_kudos_points_not_negative")),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_kudos_event_id_events")),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["employees.id"], name=op.f("fk_kudos_giver_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos")),
        sa.UniqueConstraint(
            "giver_id", "idempotency_key", name=op.f("uq_kudos_giver_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.create_index("ix_kudos_created", ["created_at"], unique=False)
        batch_op.create_index("ix_kudos_giver_created", ["giver_id", "created_at"], unique=False)

    op.create_table(
        "kudos_allowances",
        sa.Column("giver_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("allowance", sa.Integer(), nullable=False),
        sa.Column("given", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "given >= 0 AND given <= allowance", name=op.f("ck_kudos_allowances_within_allowance")
        ),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["employees.id"], name=op.f("fk_kudos_allowances_giver_id_employees")
        ),
        sa.PrimaryKeyConstraint("giver_id", "month", name=op.f("pk_kudos_allowances")),
    )
    op.create_table(
        "kudos_pairs",
        sa.Column("giver_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("receiver_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("points >= 0 AND points <= cap", name=op.f("ck_kudos_pairs_within_cap")),
        sa.ForeignKeyConstraint(
            ["giver_id"], ["employees.id"], name=op.f("fk_kudos_pairs_giver_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"], ["employees.id"], name=op.f("fk_kudos_pairs_receiver_id_employees")
        ),
        sa.PrimaryKeyConstraint("giver_id", "receiver_id", "month", name=op.f("pk_kudos_pairs")),
    )
    op.create_table(
        "kudos_reactions",
        sa.Column(
            "kudos_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("employee_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_kudos_reactions_employee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["kudos_id"], ["kudos.id"], name=op.f("fk_kudos_reactions_kudos_id_kudos")
        ),
        sa.PrimaryKeyConstraint("kudos_id", "employee_id", name=op.f("pk_kudos_reactions")),
    )
    op.create_table(
        "kudos_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kudos_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("receiver_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kudos_id"], ["kudos.id"], name=op.f("fk_kudos_receipts_kudos_id_kudos")
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"], ["employees.id"], name=op.f("fk_kudos_receipts_receiver_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos_receipts")),
        sa.UniqueConstraint(
            "kudos_id", "receiver_id", name=op.f("uq_kudos_receipts_kudos_id_receiver_id")
        ),
    )
    with op.batch_alter_table("kudos_receipts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kudos_receipts_receiver", ["receiver_id", "kudos_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("kudos_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_kudos_receipts_receiver")

    op.drop_table("kudos_receipts")
    op.drop_table("kudos_reactions")
    op.drop_table("kudos_pairs")
    op.drop_table("kudos_allowances")
    with op.batch_alter_table("kudos", schema=None) as batch_op:
        batch_op.drop_index("ix_kudos_giver_created")
        batch_op.drop_index("ix_kudos_created")

    op.drop_table("kudos")
    op.drop_table("kudos_settings")
