"""jurisdictions and key channels: every round of one province names it (rounds without a jurisdiction get the
province their agencies lie in, when there is exactly one), and API keys declare their channels (default api)

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02 21:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def _province_of(conn, unit_id, cache):
    """Climb the parent links to the province (None when there is none)."""
    for _ in range(5):
        if unit_id is None:
            break
        if unit_id not in cache:
            cache[unit_id] = conn.execute(sa.text("SELECT parent_id, level FROM admin_units WHERE id = :i"),
                                          {"i": unit_id}).first()
        row = cache[unit_id]
        if row is None:
            return None
        if row.level == 'province':
            return unit_id
        unit_id = row.parent_id
    return None


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channels', sa.JSON(), server_default='["api"]', nullable=False))
    conn = op.get_bind()
    cache: dict = {}
    rounds = conn.execute(sa.text("SELECT id, admin_map FROM rounds WHERE jurisdiction_id IS NULL")).all()
    for round_id, admin_map in rounds:
        units = conn.execute(sa.text("SELECT a.unit_id FROM round_agencies ra JOIN agencies a ON a.id = ra.agency_id "
                                     "WHERE ra.round_id = :r"), {"r": round_id}).scalars().all()
        provinces = set()
        for unit_id in set(units):
            province = _province_of(conn, unit_id, cache)
            if province is None:
                continue
            on_map = conn.execute(sa.text("SELECT admin_map FROM admin_units WHERE id = :i"), {"i": province}).scalar()
            if on_map != admin_map:
                # An agency still filed under its old-map province: the province it went into in 2025.
                successor = conn.execute(sa.text(
                    "SELECT s.successor_id FROM unit_successions s JOIN admin_units u ON u.id = s.successor_id "
                    "WHERE s.predecessor_id = :p AND u.admin_map = :m AND u.level = 'province'"),
                    {"p": province, "m": admin_map}).scalar()
                province = successor if successor is not None else province
            provinces.add(province)
        if len(provinces) == 1:
            conn.execute(sa.text("UPDATE rounds SET jurisdiction_id = :j WHERE id = :r"),
                         {"j": provinces.pop(), "r": round_id})


def downgrade() -> None:
    # The jurisdictions filled in are kept: they were right before the column was used, and stay right.
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_column('channels')
