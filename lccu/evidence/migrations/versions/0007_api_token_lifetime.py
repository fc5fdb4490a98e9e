"""API tokens: an expiry, the role and zone they were issued under, why they were revoked.

Tokens issued before this revision get the default lifetime from the upgrade on and the
user's role and zone of the upgrade (a later change of either revokes them).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLE = "web_api_tokens"
DEFAULT_DAYS = 90


def upgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        batch.add_column(sa.Column("expires_at", sa.String(40), nullable=True))
        batch.add_column(sa.Column("issued_role", sa.String(20), nullable=True))
        batch.add_column(sa.Column("issued_zone_id", sa.Integer, nullable=True))
        batch.add_column(sa.Column("revoked_why", sa.String(100), nullable=True))
    until = (datetime.now(UTC) + timedelta(days=DEFAULT_DAYS)).isoformat(timespec="microseconds")
    op.execute(sa.text(f"UPDATE {TABLE} SET expires_at = :until").bindparams(until=until))
    op.execute(f"UPDATE {TABLE} SET "
               f"issued_role = (SELECT role FROM users WHERE users.id = {TABLE}.user_id), "
               f"issued_zone_id = (SELECT zone_id FROM users WHERE users.id = {TABLE}.user_id)")


def downgrade() -> None:
    with op.batch_alter_table(TABLE) as batch:
        for column in ("revoked_why", "issued_zone_id", "issued_role", "expires_at"):
            batch.drop_column(column)
