"""collection: invitations, paper double entry

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:36:13.050599
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=True),
    sa.Column('stratum', sa.String(length=60), nullable=True),
    sa.Column('psu', sa.String(length=60), nullable=True),
    sa.Column('weight', sa.Double(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_invitations_agency_id_agencies')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_invitations_response_id_responses')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_invitations_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('response_id', name=op.f('uq_invitations_response_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_round_id'), ['round_id'], unique=False)

    op.create_table('paper_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('first_keyed', 'mismatch', 'verified', name='paperformstatus', native_enum=False, length=16), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['paper_batches.id'], name=op.f('fk_paper_forms_batch_id_paper_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_paper_forms_response_id_responses')),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_paper_forms_verified_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_forms')),
    sa.UniqueConstraint('batch_id', 'serial', name=op.f('uq_paper_forms_batch_id_serial')),
    sa.UniqueConstraint('response_id', name=op.f('uq_paper_forms_response_id'))
    )
    with op.batch_alter_table('paper_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_forms_batch_id'), ['batch_id'], unique=False)

    op.create_table('paper_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('pass_no', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('pass_no IN (1, 2)', name=op.f('ck_paper_entries_pass_no')),
    sa.ForeignKeyConstraint(['form_id'], ['paper_forms.id'], name=op.f('fk_paper_entries_form_id_paper_forms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_paper_entries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_entries')),
    sa.UniqueConstraint('form_id', 'pass_no', name=op.f('uq_paper_entries_form_id_pass_no'))
    )
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=False, server_default='paper_post'))
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.alter_column('channel', server_default=None)

    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_content_hash'), ['content_hash'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_content_hash'))

    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.drop_column('channel')

    op.drop_table('paper_entries')
    with op.batch_alter_table('paper_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_forms_batch_id'))

    op.drop_table('paper_forms')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_round_id'))

    op.drop_table('invitations')
