"""paper serials unique: a form's serial is keyed in one batch only, and its two passes by two people, even when
keyed at the same moment (unique indexes instead of checks that two requests can both pass)

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-03 08:45:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def _refuse_duplicates() -> None:
    """A database keyed before this revision may hold a serial in two batches (or both passes by one keyer):
    say which, rather than fail on the index with a bare integrity error. Settling them is a person's call."""
    conn = op.get_bind()
    serials = conn.execute(sa.text("SELECT serial FROM paper_forms GROUP BY serial HAVING COUNT(*) > 1")).scalars()
    forms = conn.execute(sa.text("SELECT form_id FROM paper_entries GROUP BY form_id, user_id "
                                 "HAVING COUNT(*) > 1")).scalars()
    serials, forms = list(serials), list(forms)
    if serials or forms:
        raise RuntimeError("Paper forms to settle before upgrading (delete the wrong batch's form or pass): "
                           f"serials in more than one batch {serials}; forms keyed twice by one person {forms}")


def upgrade() -> None:
    _refuse_duplicates()
    # Plain index operations: no table copy on SQLite.
    op.create_index('ix_paper_forms_serial', 'paper_forms', ['serial'], unique=True)
    op.create_index('ix_paper_entries_form_keyer', 'paper_entries', ['form_id', 'user_id'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_paper_entries_form_keyer', table_name='paper_entries')
    op.drop_index('ix_paper_forms_serial', table_name='paper_forms')
