"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 00:00:40.025694
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('division_type', sa.String(length=40), nullable=True),
    sa.Column('admin_map', sa.Enum('historical_63', 'new_34', name='adminmap', native_enum=False, length=16), nullable=False),
    sa.Column('level', sa.Enum('province', 'district', 'commune', name='level', native_enum=False, length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.CheckConstraint("admin_map <> 'new_34' OR level <> 'district'", name=op.f('ck_admin_units_no_district_on_new_map')),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_admin_units_valid_dates')),
    sa.ForeignKeyConstraint(['parent_id'], ['admin_units.id'], name=op.f('fk_admin_units_parent_id_admin_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_units')),
    sa.UniqueConstraint('admin_map', 'level', 'code', name=op.f('uq_admin_units_admin_map_level_code'))
    )
    with op.batch_alter_table('admin_units', schema=None) as batch_op:
        batch_op.create_index('ix_admin_units_parent', ['parent_id'], unique=False)

    op.create_table('agencies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=True),
    sa.Column('kind', sa.Enum('department', 'peoples_committee', 'service_centre', 'one_stop_desk', 'other', name='agencykind', native_enum=False, length=24), nullable=False),
    sa.Column('level', sa.Enum('province', 'district', 'commune', name='level', native_enum=False, length=16), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.CheckConstraint('valid_to IS NULL OR valid_to >= valid_from', name=op.f('ck_agencies_valid_dates')),
    sa.ForeignKeyConstraint(['parent_id'], ['agencies.id'], name=op.f('fk_agencies_parent_id_agencies')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_units.id'], name=op.f('fk_agencies_unit_id_admin_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agencies')),
    sa.UniqueConstraint('code', name=op.f('uq_agencies_code'))
    )
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agencies_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agencies_unit_id'), ['unit_id'], unique=False)

    op.create_table('rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('method_version', sa.String(length=40), nullable=False),
    sa.Column('profile_key', sa.String(length=40), nullable=False),
    sa.Column('admin_map', sa.Enum('historical_63', 'new_34', name='adminmap', native_enum=False, length=16), nullable=False),
    sa.Column('jurisdiction_id', sa.Integer(), nullable=True),
    sa.Column('opens_on', sa.Date(), nullable=True),
    sa.Column('closes_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', 'published', name='roundstatus', native_enum=False, length=16), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('design', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('closes_on IS NULL OR opens_on IS NULL OR closes_on >= opens_on', name=op.f('ck_rounds_dates')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_rounds_year_range')),
    sa.ForeignKeyConstraint(['jurisdiction_id'], ['admin_units.id'], name=op.f('fk_rounds_jurisdiction_id_admin_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rounds')),
    sa.UniqueConstraint('code', name=op.f('uq_rounds_code'))
    )
    op.create_table('unit_successions',
    sa.Column('predecessor_id', sa.Integer(), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Float(), nullable=True),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.CheckConstraint('share IS NULL OR (share > 0 AND share <= 1)', name=op.f('ck_unit_successions_share_range')),
    sa.ForeignKeyConstraint(['predecessor_id'], ['admin_units.id'], name=op.f('fk_unit_successions_predecessor_id_admin_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['successor_id'], ['admin_units.id'], name=op.f('fk_unit_successions_successor_id_admin_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('predecessor_id', 'successor_id', name=op.f('pk_unit_successions'))
    )
    with op.batch_alter_table('unit_successions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_successions_successor_id'), ['successor_id'], unique=False)

    op.create_table('agency_successions',
    sa.Column('predecessor_id', sa.Integer(), nullable=False),
    sa.Column('successor_id', sa.Integer(), nullable=False),
    sa.Column('share', sa.Float(), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.CheckConstraint('share IS NULL OR (share > 0 AND share <= 1)', name=op.f('ck_agency_successions_share_range')),
    sa.ForeignKeyConstraint(['predecessor_id'], ['agencies.id'], name=op.f('fk_agency_successions_predecessor_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['successor_id'], ['agencies.id'], name=op.f('fk_agency_successions_successor_id_agencies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('predecessor_id', 'successor_id', name=op.f('pk_agency_successions'))
    )
    op.create_table('api_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_api_keys_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('round_agencies',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_round_agencies_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_round_agencies_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('round_id', 'agency_id', name=op.f('pk_round_agencies'))
    )
    op.create_table('service_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('annual_dossiers', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_service_points_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_points')),
    sa.UniqueConstraint('code', name=op.f('uq_service_points_code'))
    )
    with op.batch_alter_table('service_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_points_agency_id'), ['agency_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=160), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('totp_secret', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_users_agency_id_agencies')),
    sa.ForeignKeyConstraint(['unit_id'], ['admin_units.id'], name=op.f('fk_users_unit_id_admin_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=60), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_at'), ['at'], unique=False)

    op.create_table('kiosk_devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('service_point_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_kiosk_devices_service_point_id_service_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kiosk_devices')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_kiosk_devices_token_hash'))
    )
    with op.batch_alter_table('kiosk_devices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kiosk_devices_service_point_id'), ['service_point_id'], unique=False)

    op.create_table('paper_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('box_number', sa.String(length=40), nullable=False),
    sa.Column('expected_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'first_done', 'second_done', 'verified', name='batchstatus', native_enum=False, length=16), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('expected_count > 0', name=op.f('ck_paper_batches_expected_positive')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_paper_batches_agency_id_agencies')),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_paper_batches_opened_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_paper_batches_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_paper_batches'))
    )
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_paper_batches_round_id'), ['round_id'], unique=False)

    op.create_table('result_sets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('method_version', sa.String(length=40), nullable=False),
    sa.Column('admin_map', sa.Enum('historical_63', 'new_34', name='adminmap', native_enum=False, length=16), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('snapshot_id', sa.String(length=80), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_result_sets_published_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_result_sets_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_sets')),
    sa.UniqueConstraint('round_id', 'version', name=op.f('uq_result_sets_round_id_version'))
    )
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_result_sets_round_id'), ['round_id'], unique=False)

    op.create_table('user_roles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('admin', 'analyst', 'agency_manager', 'surveyor', 'verifier', name='role', native_enum=False, length=24), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )
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

    op.create_table('responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('service_point_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.Enum('kiosk', 'online', 'invitation', 'paper_post', 'paper_direct', 'interview', 'import', 'api', name='channel', native_enum=False, length=16), nullable=False),
    sa.Column('profile_key', sa.String(length=40), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stratum', sa.String(length=60), nullable=True),
    sa.Column('psu', sa.String(length=60), nullable=True),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('status', sa.Enum('valid', 'flagged', 'void', name='responsestatus', native_enum=False, length=16), nullable=False),
    sa.Column('flag_reason', sa.String(length=200), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.Column('device_seq', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('dossier_hash', sa.String(length=64), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("channel NOT IN ('paper_post', 'paper_direct') OR entered_by_id IS NOT NULL", name=op.f('ck_responses_paper_has_surveyor')),
    sa.CheckConstraint('device_seq IS NULL OR device_seq >= 0', name=op.f('ck_responses_device_seq_nonnegative')),
    sa.CheckConstraint('weight > 0', name=op.f('ck_responses_weight_positive')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_responses_agency_id_agencies')),
    sa.ForeignKeyConstraint(['batch_id'], ['paper_batches.id'], name=op.f('fk_responses_batch_id_paper_batches')),
    sa.ForeignKeyConstraint(['device_id'], ['kiosk_devices.id'], name=op.f('fk_responses_device_id_kiosk_devices')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_responses_entered_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_responses_round_id_rounds')),
    sa.ForeignKeyConstraint(['service_point_id'], ['service_points.id'], name=op.f('fk_responses_service_point_id_service_points')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responses')),
    sa.UniqueConstraint('uuid', name=op.f('uq_responses_uuid'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_responses_device_seq', ['device_id', 'device_seq'], unique=False)
        batch_op.create_index(batch_op.f('ix_responses_dossier_hash'), ['dossier_hash'], unique=False)
        batch_op.create_index('ix_responses_round_agency', ['round_id', 'agency_id'], unique=False)

    op.create_table('answers',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=16), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('value BETWEEN 0 AND 99', name=op.f('ck_answers_value_range')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_answers_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'item_code', name=op.f('pk_answers'))
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.create_index('ix_answers_item_value', ['item_code', 'value'], unique=False)

    op.create_table('comments',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_comments_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_comments'))
    )


def downgrade() -> None:
    op.drop_table('comments')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_index('ix_answers_item_value')

    op.drop_table('answers')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_round_agency')
        batch_op.drop_index(batch_op.f('ix_responses_dossier_hash'))
        batch_op.drop_index('ix_responses_device_seq')
        batch_op.drop_index(batch_op.f('ix_responses_agency_id'))

    op.drop_table('responses')
    with op.batch_alter_table('index_values', schema=None) as batch_op:
        batch_op.drop_index('ix_index_values_group')

    op.drop_table('index_values')
    op.drop_table('user_roles')
    with op.batch_alter_table('result_sets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_result_sets_round_id'))

    op.drop_table('result_sets')
    with op.batch_alter_table('paper_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_paper_batches_round_id'))

    op.drop_table('paper_batches')
    with op.batch_alter_table('kiosk_devices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kiosk_devices_service_point_id'))

    op.drop_table('kiosk_devices')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_at'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    op.drop_table('users')
    with op.batch_alter_table('service_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_points_agency_id'))

    op.drop_table('service_points')
    op.drop_table('round_agencies')
    op.drop_table('api_keys')
    op.drop_table('agency_successions')
    with op.batch_alter_table('unit_successions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_successions_successor_id'))

    op.drop_table('unit_successions')
    op.drop_table('rounds')
    with op.batch_alter_table('agencies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agencies_unit_id'))
        batch_op.drop_index(batch_op.f('ix_agencies_parent_id'))

    op.drop_table('agencies')
    with op.batch_alter_table('admin_units', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_units_parent')

    op.drop_table('admin_units')
