"""The outbox read in the order it is sent: an index on (connection, enqueued_at, id).

A claim takes the oldest due rows. With only (connection, available_at) indexed, the
database fetched every due row of the connection and sorted them, so each claim cost as much
as the whole queue (a third of a second at 150,000 rows). Walking this index in order stops
after the first batch's worth of due rows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["connection", "enqueued_at", "id"]


def upgrade() -> None:
    op.create_index(op.f("ix_outbox_connection_enqueued_at_id"), "outbox", COLUMNS)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_connection_enqueued_at_id"), table_name="outbox")
