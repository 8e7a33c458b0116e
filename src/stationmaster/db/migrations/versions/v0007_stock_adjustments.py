"""The stock ledger: every keyed stock adjustment, applied once per key and connection.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "stock_adjustments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("result", sa.BigInteger(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("applied_at", _time(), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'applied', 'reconciled')",
            name=op.f("ck_stock_adjustments_state"),
        ),
        sa.ForeignKeyConstraint(
            ["connection"],
            ["connections.name"],
            name=op.f("fk_stock_adjustments_connection_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_adjustments")),
        sa.UniqueConstraint(
            "connection",
            "idempotency_key",
            name=op.f("uq_stock_adjustments_connection_idempotency_key"),
        ),
    )
    op.create_index(
        op.f("ix_stock_adjustments_connection_state"),
        "stock_adjustments",
        ["connection", "state"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stock_adjustments_connection_state"), table_name="stock_adjustments")
    op.drop_table("stock_adjustments")
