"""a round records the fingerprint of its questionnaire profile

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 21:00:00

Rounds that exist before this revision keep NULL (no fingerprint was recorded for them, so none is checked);
rounds created from now on record the SHA-256 of their profile file.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('rounds') as batch_op:
        batch_op.add_column(sa.Column('profile_fingerprint', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rounds') as batch_op:
        batch_op.drop_column('profile_fingerprint')
