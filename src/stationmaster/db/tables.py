"""The database schema as SQLAlchemy Core tables: the one description migrations must match.

Table and column names are a contract (the push loop, the web app and operators' SQL read
them). Every time is aware UTC (:class:`~stationmaster.db.types.UTCDateTime`), every document
is JSON (JSONB on PostgreSQL), and every constraint has a fixed name so migrations can refer
to it on both databases.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from stationmaster.db.types import UTCDateTime, json_column_type

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

#: SQLite only auto-numbers ``INTEGER PRIMARY KEY``; PostgreSQL gets a 64-bit serial.
SerialId = BigInteger().with_variant(Integer(), "sqlite")

KEY = 255  # order keys, source ids, SKUs: ShipStation's own keys stay well below this
NAME = 100  # connection and lease names, streams


def _connection_fk() -> ForeignKey:
    return ForeignKey("connections.name", ondelete="CASCADE")


connections = Table(
    "connections",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("mode", String(8), nullable=False),
    Column("store_kind", String(NAME), nullable=False),
    Column("settings", json_column_type(), nullable=False),
    # Orders placed before it never sync; set once, then immutable.
    Column("sync_start", UTCDateTime(), nullable=True),
    # Last change number handed to this connection's native orders (see native_orders).
    Column("native_change_seq", BigInteger(), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # What stopped the connection's last pass (store down, key refused); cleared by a good one.
    Column("problem", Text(), nullable=True),
    Column("problem_at", UTCDateTime(), nullable=True),
    CheckConstraint("mode IN ('push', 'pull')", name="mode"),
)

cursors = Table(
    "cursors",
    metadata,
    Column("connection", String(NAME), _connection_fk(), primary_key=True),
    Column("stream", String(NAME), primary_key=True),
    Column("value", json_column_type(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("connection", String(NAME), _connection_fk(), nullable=False),
    Column("order_key", String(KEY), nullable=False),
    Column("action", String(8), nullable=False),
    Column("payload", json_column_type(), nullable=False),
    Column("fingerprint", String(128), nullable=False),
    # Bumped whenever a newer payload replaces this row, so a result for an older payload
    # can tell that it no longer describes what is queued.
    Column("version", Integer(), nullable=False),
    Column("enqueued_at", UTCDateTime(), nullable=False),
    Column("available_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("last_error", Text(), nullable=True),
    UniqueConstraint("connection", "order_key"),
    CheckConstraint("action IN ('upsert', 'delete')", name="action"),
    Index(None, "connection", "available_at"),
    Index(None, "connection", "enqueued_at", "id"),  # claims walk it in sending order
)

sync_records = Table(
    "sync_records",
    metadata,
    Column("connection", String(NAME), _connection_fk(), primary_key=True),
    Column("order_key", String(KEY), primary_key=True),
    # The store's own id for the order, for writing statuses back to it.
    Column("source_id", String(KEY), nullable=True),
    Column("order_id", BigInteger(), nullable=True),
    Column("related_ids", json_column_type(), nullable=True),
    # Fingerprint of the last payload ShipStation accepted; NULL until one was.
    Column("fingerprint", String(128), nullable=True),
    Column("remote_status", String(40), nullable=True),
    Column("locked", Boolean(), nullable=False),
    Column("frozen", Boolean(), nullable=False),
    Column("pushed_at", UTCDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "connection", "pushed_at"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime(), nullable=False),
    Column("connection", String(NAME), nullable=True),
    Column("key_id", String(NAME), nullable=False),
    Column("method", String(8), nullable=False),
    Column("url", Text(), nullable=False),
    Column("request_body", Text(), nullable=True),
    Column("status", Integer(), nullable=True),
    Column("response_body", Text(), nullable=True),
    Column("response_headers", json_column_type(), nullable=False),
    Column("attempt", Integer(), nullable=False),
    Column("seconds", Float(), nullable=False),
    Column("error", Text(), nullable=True),
    Index(None, "at"),
    Index(None, "connection", "at"),
    Index(None, "connection", "status", "at"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("connection", String(NAME), _connection_fk(), nullable=False),
    Column("order_key", String(KEY), nullable=False),
    Column("action", String(8), nullable=False),
    Column("payload", json_column_type(), nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("resolution", String(20), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("audit_id", SerialId, nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("replayed_at", UTCDateTime(), nullable=True),
    Column("state", String(10), nullable=False),
    # Why an operator closed it without sending it (the dashboard's dismissal).
    Column("note", Text(), nullable=True),
    ForeignKeyConstraint(["audit_id"], ["audit_log.id"], ondelete="SET NULL"),
    CheckConstraint("state IN ('open', 'replayed', 'resolved')", name="state"),
    Index(None, "connection", "state"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(NAME), primary_key=True),
    # NULL once released: the row stays so its budget snapshot reaches the next owner.
    Column("owner", String(NAME), nullable=True),
    Column("acquired_at", UTCDateTime(), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("heartbeat_at", UTCDateTime(), nullable=False),
    Column("state", json_column_type(), nullable=True),
)

native_orders = Table(
    "native_orders",
    metadata,
    Column("connection", String(NAME), _connection_fk(), primary_key=True),
    Column("source_id", String(KEY), primary_key=True),
    Column("order_key", String(KEY), nullable=False),
    Column("payload", json_column_type(), nullable=False),
    Column("status", String(40), nullable=False),
    Column("deleted", Boolean(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("change_seq", BigInteger(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    # The payload's order number, for the dashboard's search (written with the payload).
    Column("number", String(KEY), nullable=True),
    UniqueConstraint("connection", "order_key"),
    UniqueConstraint("connection", "change_seq"),
    # The Custom Store export walks a window of modification times in this order.
    Index(None, "connection", "updated_at", "source_id"),
    Index(None, "number"),
)

native_stock = Table(
    "native_stock",
    metadata,
    Column("connection", String(NAME), _connection_fk(), primary_key=True),
    Column("sku", String(KEY), primary_key=True),
    Column("on_hand", Integer(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

native_shipments = Table(
    "native_shipments",
    metadata,
    Column("connection", String(NAME), primary_key=True),
    Column("source_id", String(KEY), primary_key=True),
    # The package's source record (``Package.key``, e.g. ``shipment:300000001``): one row each,
    # so the same record applied twice is one row, not two.
    Column("package_key", String(KEY), primary_key=True),
    Column("payload", json_column_type(), nullable=False),
    # Once true, never false again: ShipStation cannot un-void a label.
    Column("voided", Boolean(), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    ForeignKeyConstraint(
        ["connection", "source_id"],
        ["native_orders.connection", "native_orders.source_id"],
        ondelete="CASCADE",
    ),
    Index(None, "connection", "applied_at"),
)

tracked_packages = Table(
    "tracked_packages",
    metadata,
    Column("connection", String(NAME), _connection_fk(), primary_key=True),
    Column("source_id", String(KEY), primary_key=True),
    # ``Package.key`` of the ShipStation record it came from, e.g. ``shipment:300000001``.
    Column("package_key", String(KEY), primary_key=True),
    # The ShipStation order the record belongs to (a split child's or a merge survivor's).
    Column("order_id", BigInteger(), nullable=True),
    Column("tracking_number", String(KEY), nullable=True),
    Column("payload", json_column_type(), nullable=False),
    # Once true, never false again: ShipStation cannot un-void a label.
    Column("voided", Boolean(), nullable=False),
    # True until the store has taken the package's latest state.
    Column("pending", Boolean(), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index(None, "connection", "pending"),
    Index(None, "connection", "applied_at"),
)

tracking_orders = Table(
    "tracking_orders",
    metadata,
    Column("connection", String(NAME), _connection_fk(), primary_key=True),
    Column("source_id", String(KEY), primary_key=True),
    # The store's status before tracking first changed it, restored when every label is voided.
    Column("status_before", String(40), nullable=True),
    # The status tracking last wrote; a different one in the store means a person moved it.
    Column("status_set", String(40), nullable=True),
    Column("captured_at", UTCDateTime(), nullable=True),
    Column("updated_at", UTCDateTime(), nullable=False),
)

tracking_links = Table(
    "tracking_links",
    metadata,
    Column("connection", String(NAME), _connection_fk(), primary_key=True),
    # A ShipStation order that is not one we pushed (a split child, a merge survivor) ...
    Column("order_id", BigInteger(), primary_key=True),
    # ... and the order key of ours whose shipments it carries.
    Column("order_key", String(KEY), primary_key=True),
    Column("relation", String(8), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("relation IN ('split', 'merge')", name="relation"),
)

tracking_errors = Table(
    "tracking_errors",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("connection", String(NAME), _connection_fk(), nullable=False),
    Column("source_id", String(KEY), nullable=False),
    Column("action", String(16), nullable=False),
    Column("reason", Text(), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("state", String(10), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    CheckConstraint("state IN ('open', 'resolved')", name="state"),
    Index(None, "connection", "state"),
)


RESOURCE_TYPE = 40  # webhook event names (``SHIP_NOTIFY``, ...)
RESOURCE_URL = 2000  # ShipStation documents at most 200 characters; room for a longer one

inbox = Table(
    "inbox",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("connection", String(NAME), _connection_fk(), nullable=False),
    # sha256 of resource_type and resource_url: a repeated delivery finds its first copy.
    Column("dedupe_key", String(64), nullable=False),
    Column("resource_type", String(RESOURCE_TYPE), nullable=False),
    Column("resource_url", String(RESOURCE_URL), nullable=False),
    Column("state", String(10), nullable=False),
    Column("attempts", Integer(), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("available_at", UTCDateTime(), nullable=False),
    Column("done_at", UTCDateTime(), nullable=True),
    Column("last_error", Text(), nullable=True),
    UniqueConstraint("connection", "dedupe_key"),
    CheckConstraint("state IN ('pending', 'done', 'failed')", name="state"),
    Index(None, "connection", "state", "available_at"),
)


stock_adjustments = Table(
    "stock_adjustments",
    metadata,
    Column("id", SerialId, primary_key=True, autoincrement=True),
    Column("connection", String(NAME), _connection_fk(), nullable=False),
    # The sender's key: one adjustment per key and connection, however often it arrives.
    Column("idempotency_key", String(KEY), nullable=False),
    Column("sku", String(KEY), nullable=False),
    Column("delta", BigInteger(), nullable=False),
    Column("reason", String(KEY), nullable=True),
    # pending: sent to a store whose answer is not in yet (or was lost with a crash);
    # applied: in the store; reconciled: was in doubt, and a full reconcile since settled it.
    Column("state", String(10), nullable=False),
    # The stock level right after the adjustment, as the store reported it.
    Column("result", BigInteger(), nullable=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("applied_at", UTCDateTime(), nullable=True),
    UniqueConstraint("connection", "idempotency_key"),
    CheckConstraint("state IN ('pending', 'applied', 'reconciled')", name="state"),
    Index(None, "connection", "state"),
)
