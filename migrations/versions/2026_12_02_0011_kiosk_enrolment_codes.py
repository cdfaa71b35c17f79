"""kiosk enrolment codes: a short-lived one-time code exchanged for the device cookie

Revision ID: 0011
Revises: 0014
Create Date: 2026-12-02 20:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('kiosk_devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrol_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('enrol_code_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_kiosk_devices_enrol_code_hash'), ['enrol_code_hash'])


def downgrade() -> None:
    with op.batch_alter_table('kiosk_devices', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_kiosk_devices_enrol_code_hash'), type_='unique')
        batch_op.drop_column('enrol_code_expires_at')
        batch_op.drop_column('enrol_code_hash')
