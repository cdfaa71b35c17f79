"""results stored provisional and frozen: provisional sets have no version, publications keep their data, the
write-only index_values table goes, and publishing no longer closes a round

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.alter_column('version', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('responses', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.create_index('ix_result_sets_round_computed', ['round_id', 'computed_at'], unique=False)
    # Sets stored without publication were numbered like publications: they are provisional.
    op.execute("UPDATE result_sets SET version = NULL WHERE published_at IS NULL")
    op.create_table('result_snapshots',
    sa.Column('result_set_id', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['result_set_id'], ['result_sets.id'], name=op.f('fk_result_snapshots_result_set_id_result_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('result_set_id', name=op.f('pk_result_snapshots'))
    )
    with op.batch_alter_table('index_values', schema=None) as batch_op:
        batch_op.drop_index('ix_index_values_group')
    op.drop_table('index_values')
    # Publishing is no longer a round status: a published round's collection is closed, as it was.
    op.execute("UPDATE rounds SET status = 'closed' WHERE status = 'published'")


def downgrade() -> None:
    op.execute("UPDATE rounds SET status = 'published' WHERE id IN "
               "(SELECT round_id FROM result_sets WHERE published_at IS NOT NULL) AND status = 'closed'")
    op.create_table('index_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('result_set_id', sa.Integer(), nullable=False),
    sa.Column('group_by', sa.String(length=16), nullable=False),
    sa.Column('group_key', sa.String(length=40), nullable=False),
    sa.Column('channel_group', sa.String(length=16), nullable=False),
    sa.Column('index_code', sa.String(length=16), nullable=False),
    sa.Column('estimate', sa.Float(), nullable=True),
    sa.Column('ci_low', sa.Float(), nullable=True),
    sa.Column('ci_high', sa.Float(), nullable=True),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('se', sa.Float(), nullable=True),
    sa.Column('df', sa.Float(), nullable=True),
    sa.Column('deff', sa.Float(), nullable=True),
    sa.Column('n_eff', sa.Float(), nullable=True),
    sa.Column('method', sa.String(length=40), nullable=True),
    sa.Column('low_base', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['result_set_id'], ['result_sets.id'], name=op.f('fk_index_values_result_set_id_result_sets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_values')),
    sa.UniqueConstraint('result_set_id', 'group_by', 'group_key', 'channel_group', 'index_code', name=op.f('uq_index_values_result_set_id_group_by_group_key_channel_group_index_code'))
    )
    with op.batch_alter_table('index_values', schema=None) as batch_op:
        batch_op.create_index('ix_index_values_group', ['result_set_id', 'group_by', 'group_key'], unique=False)
    op.drop_table('result_snapshots')
    # Provisional sets have no place in the old schema (version was required).
    op.execute("DELETE FROM result_sets WHERE version IS NULL")
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.drop_index('ix_result_sets_round_computed')
        batch_op.drop_column('responses')
        batch_op.alter_column('version', existing_type=sa.Integer(), nullable=False)
