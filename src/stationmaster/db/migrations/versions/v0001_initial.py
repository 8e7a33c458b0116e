"""Initial schema: connections, cursors, outbox, sync records, dead letters, audit, leases,
native store orders and stock.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
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
        "audit_log",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("at", _time(), nullable=False),
        sa.Column("connection", sa.String(length=100), nullable=True),
        sa.Column("key_id", sa.String(length=100), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("request_body", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("response_headers", _json(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_connection_at"), "audit_log", ["connection", "at"])

    op.create_table(
        "connections",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("store_kind", sa.String(length=100), nullable=False),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("sync_start", _time(), nullable=True),
        sa.Column("native_change_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        sa.CheckConstraint("mode IN ('push', 'pull')", name=op.f("ck_connections_mode")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_connections")),
    )

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=True),
        sa.Column("acquired_at", _time(), nullable=False),
        sa.Column("expires_at", _time(), nullable=False),
        sa.Column("heartbeat_at", _time(), nullable=False),
        sa.Column("state", _json(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )

    op.create_table(
        "cursors",
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("stream", sa.String(length=100), nullable=False),
        sa.Column("value", _json(), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        _connection_fk("cursors"),
        sa.PrimaryKeyConstraint("connection", "stream", name=op.f("pk_cursors")),
    )

    op.create_table(
        "dead_letters",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("order_key", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("audit_id", _serial(), nullable=True),
        sa.Column("created_at", _time(), nullable=False),
        sa.Column("replayed_at", _time(), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.CheckConstraint(
            "state IN ('open', 'replayed', 'resolved')", name=op.f("ck_dead_letters_state")
        ),
        sa.ForeignKeyConstraint(
            ["audit_id"],
            ["audit_log.id"],
            name=op.f("fk_dead_letters_audit_id_audit_log"),
            ondelete="SET NULL",
        ),
        _connection_fk("dead_letters"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(
        op.f("ix_dead_letters_connection_state"), "dead_letters", ["connection", "state"]
    )

    op.create_table(
        "native_orders",
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=False),
        sa.Column("order_key", sa.String(length=255), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        _connection_fk("native_orders"),
        sa.PrimaryKeyConstraint("connection", "source_id", name=op.f("pk_native_orders")),
        sa.UniqueConstraint(
            "connection", "change_seq", name=op.f("uq_native_orders_connection_change_seq")
        ),
        sa.UniqueConstraint(
            "connection", "order_key", name=op.f("uq_native_orders_connection_order_key")
        ),
    )

    op.create_table(
        "native_stock",
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", _time(), nullable=False),
        _connection_fk("native_stock"),
        sa.PrimaryKeyConstraint("connection", "sku", name=op.f("pk_native_stock")),
    )

    op.create_table(
        "outbox",
        sa.Column("id", _serial(), autoincrement=True, nullable=False),
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("order_key", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("payload", _json(), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("enqueued_at", _time(), nullable=False),
        sa.Column("available_at", _time(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('upsert', 'delete')", name=op.f("ck_outbox_action")),
        _connection_fk("outbox"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("connection", "order_key", name=op.f("uq_outbox_connection_order_key")),
    )
    op.create_index(
        op.f("ix_outbox_connection_available_at"), "outbox", ["connection", "available_at"]
    )

    op.create_table(
        "sync_records",
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("order_key", sa.String(length=255), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column("order_id", sa.BigInteger(), nullable=True),
        sa.Column("related_ids", _json(), nullable=True),
        sa.Column("fingerprint", sa.String(length=128), nullable=True),
        sa.Column("remote_status", sa.String(length=40), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.Column("pushed_at", _time(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", _time(), nullable=False),
        _connection_fk("sync_records"),
        sa.PrimaryKeyConstraint("connection", "order_key", name=op.f("pk_sync_records")),
    )


def downgrade() -> None:
    for table in (
        "sync_records",
        "outbox",
        "native_stock",
        "native_orders",
        "dead_letters",
        "cursors",
        "leases",
        "connections",
        "audit_log",
    ):
        op.drop_table(table)
