"""sampling frames

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 01:36:52.596372
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('frame_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('dossier_hash', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('service_point_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=80), nullable=True),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.Column('contact', sa.String(length=300), nullable=True),
    sa.Column('stratum', sa.String(length=60), nullable=False),
    sa.Column('sampled', sa.Boolean(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=True),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('psu', sa.String(length=60), nullable=True),
    sa.Column('invitation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_frame_units_agency_id_agencies')),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_frame_units_invitation_id_invitations')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_frame_units_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_frame_units_service_point_id_service_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frame_units'))
    )
    with op.batch_alter_table('frame_units', schema=None) as batch_op:
        batch_op.create_index('ix_frame_units_round_stratum', ['round_id', 'stratum'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('frame_units', schema=None) as batch_op:
        batch_op.drop_index('ix_frame_units_round_stratum')

    op.drop_table('frame_units')
