"""frame units keep what an invitation letter's mail merge needs (dossier code, name, address) and their place
on the reserve list

Revision ID: 0018
Revises: 0012
Create Date: 2026-12-03 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('frame_units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dossier_code', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('reserve_rank', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('frame_units', schema=None) as batch_op:
        batch_op.drop_column('reserve_rank')
        batch_op.drop_column('address')
        batch_op.drop_column('name')
        batch_op.drop_column('dossier_code')
