"""Tracking state: packages applied to store orders, status history, order links, errors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine[object]:
    json: sa.types.TypeEngine[object] = sa.JSON(none_as_null=True)
    return json.with_variant(
        postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
    )


def _time() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _serial() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _connection_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["connection"],
        ["connections.name"],
        name=op.f(f"fk_{table}_connection_connections"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "tracked_packages",
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("package_key", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("tracking_number", sa.String(length=255), nullable=True),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("pending", sa.Boolean(), nullable=False),
        sa.Column("applied_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        _connection_fk("tracked_packages"),
        sa.PrimaryKeyConstraint(
            "connection", "source_id", "package_key", name=op.f("pk_tracked_packages")
        ),
    )
    op.create_index(
        op.f("ix_tracked_packages_connection_pending"),
        "tracked_packages",
        ["connection", "pending"],
    )
    op.create_table(
        "tracking_orders",
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("status_before", sa.String(length=40), nullable=True),
        sa.Column("status_set", sa.String(length=40), nullable=True),
        sa.Column("captured_at", _time(), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        _connection_fk("tracking_orders"),
        sa.PrimaryKeyConstraint("connection", "source_id", name=op.f("pk_tracking_orders")),
    )
    op.create_table(
        "tracking_links",
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("order_id", sa.BigInteger(), nullable=False),
        sa.Column("order_key", sa.String(length=255), nullable=False),
        sa.Column("relation", sa.String(length=8), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.CheckConstraint(
            "relation IN ('split', 'merge')", name=op.f("ck_tracking_links_relation")
        ),
        _connection_fk("tracking_links"),
        sa.PrimaryKeyConstraint(
            "connection", "order_id", "order_key", name=op.f("pk_tracking_links")
        ),
    )
    op.create_table(
        "tracking_errors",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.CheckConstraint("state IN ('open', 'resolved')", name=op.f("ck_tracking_errors_state")),
        _connection_fk("tracking_errors"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_errors")),
    )
    op.create_index(
        op.f("ix_tracking_errors_connection_state"), "tracking_errors", ["connection", "state"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_tracking_errors_connection_state"), table_name="tracking_errors")
    op.drop_table("tracking_errors")
    op.drop_table("tracking_links")
    op.drop_table("tracking_orders")
    op.drop_index(op.f("ix_tracked_packages_connection_pending"), table_name="tracked_packages")
    op.drop_table("tracked_packages")
