"""nominations: versioned categories, nominations with frozen evidence, decisions

- `nomination_categories`: one row per version of a category (slug, version).
- `nominations`: at most one open or approved nomination per nominee, category
  and period (a partial unique index).
- `nomination_decisions`: one row per decided step (the primary key).
- `nomination_transitions`: the timeline.
- `employees.show_nomination_reasons`: the nominee's choice for the wall.

Revision ID: 0014_nominations
Revises: 0013_kudos_comments
"""

import sqlalchemy as sa
from alembic import op

import recognition.extensions

revision = "0014_nominations"
down_revision = "0013_kudos_comments"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "nomination_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("badge", sa.String(length=64), nullable=True),
        sa.Column("bonus_points", sa.Integer(), nullable=False),
        sa.Column("who_may_nominate", sa.String(length=16), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "period IN ('month', 'quarter', 'year')", name=op.f("ck_nomination_categories_period")
        ),
        sa.CheckConstraint(
            "who_may_nominate IN ('reports', 'managers', 'anyone')",
            name=op.f("ck_nomination_categories_who"),
        ),
        sa.CheckConstraint(
            "bonus_points >= 0", name=op.f("ck_nomination_categories_bonus_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_categories")),
        sa.UniqueConstraint("slug", "version", name=op.f("uq_nomination_categories_slug_version")),
    )
    op.create_table(
        "nominations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("category_slug", sa.String(length=64), nullable=False),
        sa.Column("nominator_id", sa.Integer(), nullable=False),
        sa.Column("nominee_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("badge_level", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", recognition.extensions.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('submitted', 'in_review', 'approved', 'declined', 'withdrawn')",
            name=op.f("ck_nominations_status"),
        ),
        sa.CheckConstraint("nominator_id <> nominee_id", name=op.f("ck_nominations_not_self")),
        sa.CheckConstraint(
            "step >= 1 AND step <= steps", name=op.f("ck_nominations_step_in_chain")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["nomination_categories.id"],
            name=op.f("fk_nominations_category_id_nomination_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["nominator_id"], ["employees.id"], name=op.f("fk_nominations_nominator_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["nominee_id"], ["employees.id"], name=op.f("fk_nominations_nominee_id_employees")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominations")),
        sa.UniqueConstraint(
            "nominator_id",
            "idempotency_key",
            name=op.f("uq_nominations_nominator_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.create_index("ix_nominations_nominator", ["nominator_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nominations_nominee_id"), ["nominee_id"], unique=False)
        batch_op.create_index("ix_nominations_status", ["status", "id"], unique=False)
        batch_op.create_index(
            "uq_nominations_held",
            ["nominee_id", "category_slug", "period"],
            unique=True,
            sqlite_where=sa.text("status IN ('submitted', 'in_review', 'approved')"),
            postgresql_where=sa.text("status IN ('submitted', 'in_review', 'approved')"),
        )

    op.create_table(
        "nomination_decisions",
        sa.Column(
            "nomination_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("step", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("decider_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('approved', 'declined')", name=op.f("ck_nomination_decisions_outcome")
        ),
        sa.ForeignKeyConstraint(
            ["decider_id"],
            ["employees.id"],
            name=op.f("fk_nomination_decisions_decider_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name=op.f("fk_nomination_decisions_nomination_id_nominations"),
        ),
        sa.PrimaryKeyConstraint("nomination_id", "step", name=op.f("pk_nomination_decisions")),
    )
    op.create_table(
        "nomination_transitions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "nomination_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["employees.id"],
            name=op.f("fk_nomination_transitions_actor_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["nomination_id"],
            ["nominations.id"],
            name=op.f("fk_nomination_transitions_nomination_id_nominations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_transitions")),
    )
    with op.batch_alter_table("nomination_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nomination_transitions_nomination_id"), ["nomination_id"], unique=False
        )

    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "show_nomination_reasons", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table("employees", schema=None) as batch_op:
        batch_op.drop_column("show_nomination_reasons")

    with op.batch_alter_table("nomination_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_transitions_nomination_id"))

    op.drop_table("nomination_transitions")
    op.drop_table("nomination_decisions")
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_nominations_held",
            sqlite_where=sa.text("status IN ('submitted', 'in_review', 'approved')"),
            postgresql_where=sa.text("status IN ('submitted', 'in_review', 'approved')"),
        )
        batch_op.drop_index("ix_nominations_status")
        batch_op.drop_index(batch_op.f("ix_nominations_nominee_id"))
        batch_op.drop_index("ix_nominations_nominator")

    op.drop_table("nominations")
    op.drop_table("nomination_categories")
