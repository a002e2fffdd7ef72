"""point_awards: the event's network on the ledger row; index a person's rows by time

A person's breakdown (by event type and network) and recent activity read
only their own ledger rows instead of joining every one to `events`. The
(generation, employee_id, local_day) index had no reader left; the new one
serves "newest first" and the per-person scans.

Revision ID: 0005_point_awards_network
Revises: 0004_point_awards_cause_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_point_awards_network"
down_revision = "0004_point_awards_cause_index"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("point_awards", sa.Column("network", sa.String(16), nullable=True))
    op.execute(
        "UPDATE point_awards SET network = "
        "(SELECT events.network FROM events WHERE events.id = point_awards.cause_id) "
        "WHERE cause_type = 'event'"
    )
    op.drop_index("ix_point_awards_person_day", table_name="point_awards")
    op.create_index(
        "ix_point_awards_person_time",
        "point_awards",
        ["generation", "employee_id", "occurred_at"],
    )


def downgrade():
    op.drop_index("ix_point_awards_person_time", table_name="point_awards")
    op.create_index(
        "ix_point_awards_person_day",
        "point_awards",
        ["generation", "employee_id", "local_day"],
    )
    op.drop_column("point_awards", "network")
