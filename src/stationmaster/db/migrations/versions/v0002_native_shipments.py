"""Native store shipments: the packages applied to each native order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    json: sa.types.TypeEngine[object] = sa.JSON(none_as_null=True)
    return json.with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "native_shipments",
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("package_key", sa.String(length=255), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("applied_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection", "source_id"],
            ["native_orders.connection", "native_orders.source_id"],
            name=op.f("fk_native_shipments_connection_native_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection", "source_id", "package_key", name=op.f("pk_native_shipments")
        ),
    )


def downgrade() -> None:
    op.drop_table("native_shipments")
