"""stationmaster's state: tables, migrations, engines, and the operations the sync runs on.

Operations take an :class:`~sqlalchemy.ext.asyncio.AsyncConnection` and run inside the
caller's transaction (``async with engine.begin() as conn: ...``), so the caller decides
what commits together; each one that writes several statements is also atomic by itself (a
savepoint), so a failure halfway leaves none of its writes behind. Leases are the exception:
they take the engine and commit at once, because other processes must see them.
"""

from stationmaster.db.audit import (
    DEFAULT_BODY_CAP,
    AuditEntry,
    get_audit_entry,
    prune_audit_log,
    record_exchange,
)
from stationmaster.db.connections import (
    ConnectionRow,
    Mode,
    ensure_connection,
    get_connection,
    list_connections,
    set_sync_start,
)
from stationmaster.db.counters import ConnectionCounters, connection_counters
from stationmaster.db.cursors import get_cursor, set_cursor
from stationmaster.db.deadletters import (
    DeadLetter,
    DeadLetterState,
    ReplayResult,
    get_dead_letter,
    list_dead_letters,
    replay,
    resolve_dead_letters,
)
from stationmaster.db.engine import create_engine, database_url
from stationmaster.db.errors import (
    InsufficientStock,
    InvalidStateInput,
    NaiveDatetimeError,
    StateError,
    SyncStartImmutable,
    UnknownConnection,
    UnknownNativeOrder,
)
from stationmaster.db.leases import (
    Lease,
    acquire_lease,
    expire_lease,
    get_lease,
    owner_id,
    owner_is_dead_here,
    release,
    renew,
)
from stationmaster.db.migrate import current_revision, head_revision, upgrade, upgrade_async
from stationmaster.db.native_orders import (
    NativeOrder,
    NativeOutcome,
    NativeWrite,
    get_native_order,
    get_native_orders_by_key,
    mark_native_deleted,
    native_changes_since,
    set_native_status,
    upsert_native_order,
    upsert_native_orders,
)
from stationmaster.db.native_shipments import (
    NativePackage,
    PackageWrite,
    get_native_packages,
    record_native_packages,
)
from stationmaster.db.native_stock import (
    NativeStock,
    adjust_native_stock,
    get_native_stock,
    list_native_stock,
)
from stationmaster.db.outbox import (
    Action,
    EnqueueResult,
    OutboxItem,
    OutboxRow,
    Skipped,
    SkipReason,
    claim,
    enqueue,
    fingerprint,
    outbox_rows,
    postpone,
)
from stationmaster.db.records import (
    LOCKING_STATUSES,
    SyncRecord,
    get_sync_record,
    get_sync_records,
    note_error,
    remember_sources,
    sources_for,
    update_sync_record,
)
from stationmaster.db.redaction import redact_headers, redact_json_text, redact_url
from stationmaster.db.results import (
    Backoff,
    FailureOutcome,
    record_failure,
    record_success,
    record_successes,
)
from stationmaster.db.tables import metadata
from stationmaster.db.types import JsonObject, JsonValue, UTCDateTime

__all__ = [
    "DEFAULT_BODY_CAP",
    "LOCKING_STATUSES",
    "Action",
    "AuditEntry",
    "Backoff",
    "ConnectionCounters",
    "ConnectionRow",
    "DeadLetter",
    "DeadLetterState",
    "EnqueueResult",
    "FailureOutcome",
    "InsufficientStock",
    "InvalidStateInput",
    "JsonObject",
    "JsonValue",
    "Lease",
    "Mode",
    "NaiveDatetimeError",
    "NativeOrder",
    "NativeOutcome",
    "NativePackage",
    "NativeStock",
    "NativeWrite",
    "OutboxItem",
    "OutboxRow",
    "PackageWrite",
    "ReplayResult",
    "SkipReason",
    "Skipped",
    "StateError",
    "SyncRecord",
    "SyncStartImmutable",
    "UTCDateTime",
    "UnknownConnection",
    "UnknownNativeOrder",
    "acquire_lease",
    "adjust_native_stock",
    "claim",
    "connection_counters",
    "create_engine",
    "current_revision",
    "database_url",
    "enqueue",
    "ensure_connection",
    "expire_lease",
    "fingerprint",
    "get_audit_entry",
    "get_connection",
    "get_cursor",
    "get_dead_letter",
    "get_lease",
    "get_native_order",
    "get_native_orders_by_key",
    "get_native_packages",
    "get_native_stock",
    "get_sync_record",
    "get_sync_records",
    "head_revision",
    "list_connections",
    "list_dead_letters",
    "list_native_stock",
    "mark_native_deleted",
    "metadata",
    "native_changes_since",
    "note_error",
    "outbox_rows",
    "owner_id",
    "owner_is_dead_here",
    "postpone",
    "prune_audit_log",
    "record_exchange",
    "record_failure",
    "record_native_packages",
    "record_success",
    "record_successes",
    "redact_headers",
    "redact_json_text",
    "redact_url",
    "release",
    "remember_sources",
    "renew",
    "replay",
    "resolve_dead_letters",
    "set_cursor",
    "set_native_status",
    "set_sync_start",
    "sources_for",
    "update_sync_record",
    "upgrade",
    "upgrade_async",
    "upsert_native_order",
    "upsert_native_orders",
]
