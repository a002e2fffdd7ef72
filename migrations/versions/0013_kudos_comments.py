"""kudos comments: one level of replies under a kudos

Revision ID: 0013_kudos_comments
Revises: 0012_mentorship
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_kudos_comments"
down_revision = "0012_mentorship"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "kudos_comments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kudos_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["employees.id"], name=op.f("fk_kudos_comments_author_id_employees")
        ),
        sa.ForeignKeyConstraint(
            ["kudos_id"], ["kudos.id"], name=op.f("fk_kudos_comments_kudos_id_kudos")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kudos_comments")),
    )
    op.create_index("ix_kudos_comments_kudos", "kudos_comments", ["kudos_id", "id"])


def downgrade():
    op.drop_index("ix_kudos_comments_kudos", table_name="kudos_comments")
    op.drop_table("kudos_comments")
