"""maintained counts: the additive sums the analysis reads, folded in from a round's valid responses

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 14:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def _keys() -> list[sa.Column]:
    return [sa.Column('round_id', sa.Integer(), nullable=False), sa.Column('grp', sa.String(length=16), nullable=False),
            sa.Column('agency_id', sa.Integer(), nullable=False)]


def _round_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f(f'fk_{table}_round_id_rounds'),
                                   ondelete='CASCADE')


def upgrade() -> None:
    op.create_table(
        'count_states',
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.Column('watermark', sa.BigInteger(), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        sa.Column('id_sum', sa.BigInteger(), nullable=False),
        sa.Column('w_sum', sa.Float(), nullable=False),
        sa.Column('wid_sum', sa.Float(), nullable=False),
        sa.Column('items', sa.String(length=2000), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
        _round_fk('count_states'),
        sa.PrimaryKeyConstraint('round_id', name=op.f('pk_count_states')))
    op.create_table(
        'count_cells', *_keys(),
        sa.Column('stratum', sa.String(length=60), nullable=False),
        sa.Column('psu', sa.String(length=60), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        _round_fk('count_cells'),
        sa.PrimaryKeyConstraint('round_id', 'grp', 'agency_id', 'stratum', 'psu', name=op.f('pk_count_cells')))
    op.create_table(
        'count_values', *_keys(),
        sa.Column('stratum', sa.String(length=60), nullable=False),
        sa.Column('psu', sa.String(length=60), nullable=False),
        sa.Column('item_code', sa.String(length=16), nullable=False),
        sa.Column('value', sa.SmallInteger(), nullable=False),
        sa.Column('w', sa.Float(), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        _round_fk('count_values'),
        sa.PrimaryKeyConstraint('round_id', 'grp', 'agency_id', 'stratum', 'psu', 'item_code', 'value',
                                name=op.f('pk_count_values')))
    op.create_table(
        'count_patterns', *_keys(),
        sa.Column('stratum', sa.String(length=60), nullable=False),
        sa.Column('weight', sa.Float(), nullable=False),
        sa.Column('pattern', sa.String(length=2000), nullable=False),
        sa.Column('n', sa.BigInteger(), nullable=False),
        _round_fk('count_patterns'),
        sa.PrimaryKeyConstraint('round_id', 'grp', 'agency_id', 'stratum', 'weight', 'pattern',
                                name=op.f('pk_count_patterns')))
    op.create_table(
        'count_pairs', *_keys(),
        sa.Column('moments', sa.LargeBinary(), nullable=False),
        _round_fk('count_pairs'),
        sa.PrimaryKeyConstraint('round_id', 'grp', 'agency_id', name=op.f('pk_count_pairs')))


def downgrade() -> None:
    for table in ('count_pairs', 'count_patterns', 'count_values', 'count_cells', 'count_states'):
        op.drop_table(table)
