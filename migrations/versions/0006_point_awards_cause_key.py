"""point_awards: one index for "one row per (cause, rule)" and "is this event scored?"

The unique key led with the generation and a second index led with the cause
id; every ledger row paid for both. The key now leads with the cause id, so it
answers the scoring lookup itself and the second index goes.

Revision ID: 0006_point_awards_cause_key
Revises: 0005_point_awards_network
"""

from alembic import op

revision = "0006_point_awards_cause_key"
down_revision = "0005_point_awards_network"
branch_labels = None
depends_on = None

OLD = "uq_point_awards_generation_cause_type_cause_id_rule"
NEW = "uq_point_awards_cause_id_cause_type_generation_rule"


def upgrade():
    with op.batch_alter_table("point_awards") as batch:
        batch.drop_constraint(OLD, type_="unique")
        batch.create_unique_constraint(NEW, ["cause_id", "cause_type", "generation", "rule"])
        batch.drop_index("ix_point_awards_cause")


def downgrade():
    with op.batch_alter_table("point_awards") as batch:
        batch.create_index("ix_point_awards_cause", ["cause_id", "cause_type", "generation"])
        batch.drop_constraint(NEW, type_="unique")
        batch.create_unique_constraint(OLD, ["generation", "cause_type", "cause_id", "rule"])
