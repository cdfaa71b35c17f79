"""burst check index: (round_id, content_hash, received_at) replaces the content-hash index, so the burst check
reads a few index entries whatever the round's size

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-02 20:30:00
"""
from __future__ import annotations

from alembic import op

revision = '0013'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain index operations (no batch table copy on SQLite): a large responses table is not rewritten.
    op.drop_index('ix_responses_content_hash', table_name='responses')
    op.create_index('ix_responses_burst', 'responses', ['round_id', 'content_hash', 'received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_responses_burst', table_name='responses')
    op.create_index('ix_responses_content_hash', 'responses', ['content_hash'], unique=False)
