"""comments can be marked as handled: who, when and an optional note

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('handled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('handled_note', sa.String(length=300), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_comments_handled_by_id_users'), 'users', ['handled_by_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_comments_handled_by_id_users'), type_='foreignkey')
        batch_op.drop_column('handled_note')
        batch_op.drop_column('handled_by_id')
        batch_op.drop_column('handled_at')
