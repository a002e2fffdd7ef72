"""index point_awards by cause id

Revision ID: 0004_point_awards_cause_index
Revises: 0003_leaderboard_opt_out
"""

from alembic import op

revision = "0004_point_awards_cause_index"
down_revision = "0003_leaderboard_opt_out"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_point_awards_cause", "point_awards", ["cause_id", "cause_type", "generation"]
    )


def downgrade():
    op.drop_index("ix_point_awards_cause", table_name="point_awards")
