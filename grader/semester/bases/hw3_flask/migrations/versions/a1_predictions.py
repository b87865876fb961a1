"""The predictions table and its newest-first index.

Revision ID: a1
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "a1"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "predictions",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("features", JSONB(), nullable=False),
        sa.Column("churn", sa.Boolean(), nullable=False),
        sa.Column("churn_probability", sa.Double(), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
    )
    op.create_index(
        "predictions_newest_first",
        "predictions",
        [sa.text("created_at DESC"), sa.text("id DESC")],
    )


def downgrade() -> None:
    op.drop_index("predictions_newest_first", table_name="predictions")
    op.drop_table("predictions")
