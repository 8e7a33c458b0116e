"""The dashboard: indexes for its time-window counts, and the note of a dismissed dead letter.

The overview counts, per connection, orders pushed and shipments applied in the last hour
and day, and 429 answers; with these indexes each count is a short index range however many
orders a connection holds.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("sync_records", ("connection", "pushed_at")),
    ("tracked_packages", ("connection", "applied_at")),
    ("native_shipments", ("connection", "applied_at")),
    ("audit_log", ("connection", "status", "at")),
)


def _name(table: str, columns: Sequence[str]) -> str:
    return f"ix_{table}_{'_'.join(columns)}"


def upgrade() -> None:
    for table, columns in INDEXES:
        op.create_index(op.f(_name(table, columns)), table, list(columns))
    op.add_column("dead_letters", sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("note")
    for table, columns in reversed(INDEXES):
        op.drop_index(op.f(_name(table, columns)), table_name=table)
