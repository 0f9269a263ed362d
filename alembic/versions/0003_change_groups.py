"""change groups: a change may belong to another (a replaced list's rows, a repeated line)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 12:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_changes_group_id'), ['group_id'], unique=False)
        batch_op.create_foreign_key('fk_changes_group_id_changes', 'changes', ['group_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('changes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_changes_group_id_changes', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_changes_group_id'))
        batch_op.drop_column('group_id')
