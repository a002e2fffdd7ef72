"""mentorship: topics, content topics, offers and asks, runs, mentorships

- `mentorship_topics`, `content_items` + `content_topics`: the admin"s topic
  list and the topics of the content people share (events.content_id).
- `mentor_offers`, `mentee_asks` (with their topics), `mentor_bookmarks`.
- `mentorship_runs` + `mentorship_run_pairs`: matching runs and their drafts.
- `mentorships` + `mentorship_transitions`: each pair from proposal to its end,
  every change recorded; one open mentorship per mentee (a partial unique index).
- `point_awards.cause_type` may be "mentorship" (a completed mentorship).

Revision ID: 0012_mentorship
Revises: 0011_kudos
"""

import sqlalchemy as sa
from alembic import op

import recognition.extensions

OLD_CAUSES = "cause_type IN ('event', 'kudos', 'nomination', 'adjustment')"
NEW_CAUSES = "cause_type IN ('event', 'kudos', 'nomination', 'mentorship', 'adjustment')"


revision = "0012_mentorship"
down_revision = "0011_kudos"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("updated_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_items")),
        sa.UniqueConstraint("content_id", name=op.f("uq_content_items_content_id")),
    )
    op.create_table(
        "mentorship_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_settings")),
    )
    op.create_table(
        "mentorship_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("created_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_topics")),
        sa.UniqueConstraint("name", name=op.f("uq_mentorship_topics_name")),
    )
    op.create_table(
        "content_topics",
        sa.Column("content_item_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["content_item_id"],
            ["content_items.id"],
            name=op.f("fk_content_topics_content_item_id_content_items"),
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["mentorship_topics.id"],
            name=op.f("fk_content_topics_topic_id_mentorship_topics"),
        ),
        sa.PrimaryKeyConstraint("content_item_id", "topic_id", name=op.f("pk_content_topics")),
    )
    op.create_table(
        "mentee_asks",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("goal", sa.String(length=280), nullable=False),
        sa.Column("prefers_other_team", sa.Boolean(), nullable=False),
        sa.Column("updated_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_mentee_asks_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_mentee_asks")),
    )
    op.create_table(
        "mentor_bookmarks",
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["employees.id"], name=op.f("fk_mentor_bookmarks_mentee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["employees.id"], name=op.f("fk_mentor_bookmarks_mentor_id_employees")
        ),
        sa.PrimaryKeyConstraint("mentee_id", "mentor_id", name=op.f("pk_mentor_bookmarks")),
    )
    op.create_table(
        "mentor_offers",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("updated_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("capacity BETWEEN 1 AND 5", name=op.f("ck_mentor_offers_capacity")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_mentor_offers_employee_id_employees")
        ),
        sa.PrimaryKeyConstraint("employee_id", name=op.f("pk_mentor_offers")),
    )
    op.create_table(
        "mentorship_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.Column("job_id", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("created_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", recognition.extensions.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", recognition.extensions.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "mode IN ('best_fit', 'most_matched')", name=op.f("ck_mentorship_runs_mode")
        ),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'draft', 'published', 'failed')",
            name=op.f("ck_mentorship_runs_state"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"],
            ["employees.id"],
            name=op.f("fk_mentorship_runs_requested_by_employees"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_runs")),
    )
    op.create_table(
        "mentee_ask_topics",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["mentee_asks.employee_id"],
            name=op.f("fk_mentee_ask_topics_employee_id_mentee_asks"),
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["mentorship_topics.id"],
            name=op.f("fk_mentee_ask_topics_topic_id_mentorship_topics"),
        ),
        sa.PrimaryKeyConstraint("employee_id", "topic_id", name=op.f("pk_mentee_ask_topics")),
    )
    op.create_table(
        "mentor_offer_topics",
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["mentor_offers.employee_id"],
            name=op.f("fk_mentor_offer_topics_employee_id_mentor_offers"),
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["mentorship_topics.id"],
            name=op.f("fk_mentor_offer_topics_topic_id_mentorship_topics"),
        ),
        sa.PrimaryKeyConstraint("employee_id", "topic_id", name=op.f("pk_mentor_offer_topics")),
    )
    op.create_table(
        "mentorship_run_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("fit_units", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.String(length=1000), nullable=False),
        sa.Column("dropped", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["mentee_id"],
            ["employees.id"],
            name=op.f("fk_mentorship_run_pairs_mentee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["employees.id"],
            name=op.f("fk_mentorship_run_pairs_mentor_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["mentorship_runs.id"],
            name=op.f("fk_mentorship_run_pairs_run_id_mentorship_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_run_pairs")),
        sa.UniqueConstraint(
            "run_id", "mentee_id", name=op.f("uq_mentorship_run_pairs_run_id_mentee_id")
        ),
    )
    with op.batch_alter_table("mentorship_run_pairs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentorship_run_pairs_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "mentorships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentee_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("fit_units", sa.Integer(), nullable=False),
        sa.Column("explanation", sa.String(length=1000), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "state IN ('proposed', 'accepted', 'declined', 'active', 'completed', 'cancelled')",
            name=op.f("ck_mentorships_state"),
        ),
        sa.CheckConstraint("mentee_id <> mentor_id", name=op.f("ck_mentorships_not_self")),
        sa.ForeignKeyConstraint(
            ["mentee_id"], ["employees.id"], name=op.f("fk_mentorships_mentee_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"], ["employees.id"], name=op.f("fk_mentorships_mentor_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["mentorship_runs.id"], name=op.f("fk_mentorships_run_id_mentorship_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorships")),
    )
    with op.batch_alter_table("mentorships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentorships_mentee_id"), ["mentee_id"], unique=False)
        batch_op.create_index("ix_mentorships_mentor_state", ["mentor_id", "state"], unique=False)
        batch_op.create_index(
            "uq_mentorships_open_mentee",
            ["mentee_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('proposed', 'accepted', 'active')"),
            postgresql_where=sa.text("state IN ('proposed', 'accepted', 'active')"),
        )

    op.create_table(
        "mentorship_transitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mentorship_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("by_employee_id", sa.Integer(), nullable=True),
        sa.Column("at", recognition.extensions.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["by_employee_id"],
            ["employees.id"],
            name=op.f("fk_mentorship_transitions_by_employee_id_employees"),
        ),
        sa.ForeignKeyConstraint(
            ["mentorship_id"],
            ["mentorships.id"],
            name=op.f("fk_mentorship_transitions_mentorship_id_mentorships"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentorship_transitions")),
    )
    with op.batch_alter_table("mentorship_transitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mentorship_transitions_mentorship_id"), ["mentorship_id"], unique=False
        )

    with op.batch_alter_table("point_awards") as batch:
        batch.drop_constraint("cause", type_="check")
        batch.create_check_constraint("cause", NEW_CAUSES)


def downgrade():
    with op.batch_alter_table("point_awards") as batch:
        batch.drop_constraint("cause", type_="check")
        batch.create_check_constraint("cause", OLD_CAUSES)
    with op.batch_alter_table("mentorship_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentorship_transitions_mentorship_id"))

    op.drop_table("mentorship_transitions")
    with op.batch_alter_table("mentorships", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_mentorships_open_mentee",
            sqlite_where=sa.text("state IN ('proposed', 'accepted', 'active')"),
            postgresql_where=sa.text("state IN ('proposed', 'accepted', 'active')"),
        )
        batch_op.drop_index("ix_mentorships_mentor_state")
        batch_op.drop_index(batch_op.f("ix_mentorships_mentee_id"))

    op.drop_table("mentorships")
    with op.batch_alter_table("mentorship_run_pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentorship_run_pairs_run_id"))

    op.drop_table("mentorship_run_pairs")
    op.drop_table("mentor_offer_topics")
    op.drop_table("mentee_ask_topics")
    op.drop_table("mentorship_runs")
    op.drop_table("mentor_offers")
    op.drop_table("mentor_bookmarks")
    op.drop_table("mentee_asks")
    op.drop_table("content_topics")
    op.drop_table("mentorship_topics")
    op.drop_table("mentorship_settings")
    op.drop_table("content_items")
