"""point_awards: the person's covering index also carries quantity

"How you earned your points" counts actions: the likes, clicks and comments
an engagement event carries (its `quantity`), not ledger rows. The sum needs
`quantity`, so the index includes it, keeping the breakdown an index-only
scan on PostgreSQL. SQLite has no INCLUDE columns, so its index is unchanged.

Revision ID: 0008_covering_quantity
Revises: 0007_point_awards_covering
"""

from alembic import op

revision = "0008_covering_quantity"
down_revision = "0007_point_awards_covering"
branch_labels = None
depends_on = None

NAME = "ix_point_awards_person_covering"
KEY = ["generation", "employee_id", "occurred_at"]
BEFORE = ["cause_type", "rule", "network", "points", "capped"]
AFTER = ["cause_type", "rule", "network", "quantity", "points", "capped"]


def _rebuild(included):
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(NAME, table_name="point_awards")
    op.create_index(NAME, "point_awards", KEY, postgresql_include=included)


def upgrade():
    _rebuild(AFTER)


def downgrade():
    _rebuild(BEFORE)
