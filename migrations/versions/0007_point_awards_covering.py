"""point_awards: a person's index carries what the breakdown sums

"How I earned these" groups all of a person's ledger rows by cause, rule and
network. With only (generation, employee_id, occurred_at) in the index, a
heavy sharer's 45,000 rows meant 17,000 heap pages read (~200 ms). The same
key with the grouped and summed columns included answers it from the index
alone on PostgreSQL (~15 ms); recent activity keeps using its key order.
SQLite has no INCLUDE, so there the index stays as it was.

Revision ID: 0007_point_awards_covering
Revises: 0006_point_awards_cause_key
"""

from alembic import op

revision = "0007_point_awards_covering"
down_revision = "0006_point_awards_cause_key"
branch_labels = None
depends_on = None

KEY = ["generation", "employee_id", "occurred_at"]
INCLUDED = ["cause_type", "rule", "network", "points", "capped"]


def upgrade():
    op.create_index(
        "ix_point_awards_person_covering", "point_awards", KEY, postgresql_include=INCLUDED
    )
    op.drop_index("ix_point_awards_person_time", table_name="point_awards")


def downgrade():
    op.create_index("ix_point_awards_person_time", "point_awards", KEY)
    op.drop_index("ix_point_awards_person_covering", table_name="point_awards")
