"""Custom Store export: native orders indexed by modification time within a connection.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        op.f("ix_native_orders_connection_updated_at_source_id"),
        "native_orders",
        ["connection", "updated_at", "source_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_native_orders_connection_updated_at_source_id"), table_name="native_orders"
    )
