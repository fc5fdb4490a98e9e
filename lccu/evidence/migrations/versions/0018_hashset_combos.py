"""Hash sets: which combinations of hash types the entries of a version have
(``hashset_versions.hash_combos``, JSON list of bit masks: 1 MD5, 2 SHA-1, 4 SHA-256).
A lookup asks a file by a weaker hash after a stronger one missed only when some entry has
the weaker without the stronger (an NSRL set whose every row has SHA-1 and MD5 is never
asked by MD5 for a file whose SHA-1 it lacks). NULL (versions imported before): unknown,
every hash type is asked as before.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("hashset_versions") as batch:
        batch.add_column(sa.Column("hash_combos", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("hashset_versions") as batch:
        batch.drop_column("hash_combos")
