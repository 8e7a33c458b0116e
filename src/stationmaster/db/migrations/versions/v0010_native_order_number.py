"""Native orders keep their order number in an indexed column, for the dashboard's search.

Searching by number used to read the number out of every stored document (half a second per
million orders). The column is filled from the documents here, and written with each payload
from now on.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = 255


def upgrade() -> None:
    with op.batch_alter_table("native_orders") as batch:
        batch.add_column(sa.Column("number", sa.String(KEY), nullable=True))
    payload_type = sa.JSON().with_variant(JSONB(), "postgresql")
    orders = sa.table(
        "native_orders", sa.column("number", sa.String(KEY)), sa.column("payload", payload_type)
    )
    number = orders.c.payload["number"].as_string()
    op.execute(orders.update().values(number=sa.func.nullif(sa.func.substr(number, 1, KEY), "")))
    op.create_index(op.f("ix_native_orders_number"), "native_orders", ["number"])


def downgrade() -> None:
    op.drop_index(op.f("ix_native_orders_number"), table_name="native_orders")
    with op.batch_alter_table("native_orders") as batch:
        batch.drop_column("number")
