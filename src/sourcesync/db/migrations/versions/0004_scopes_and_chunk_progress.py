"""API token scopes (a read-only token may look but not act), and a job's chunk counters
(progress moves while a batch's chunks are embedded, not only when the batch ends).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column(
                "scope",
                sa.Enum(
                    "read",
                    "write",
                    name=op.f("ck_api_tokens_token_scope"),
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="write",
            )
        )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("chunks_total", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch.add_column(
            sa.Column("chunks_embedded", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("chunks_embedded")
        batch.drop_column("chunks_total")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(op.f("ck_api_tokens_token_scope"), type_="check")
        batch.drop_column("scope")
