"""Responses a tap stored but the rollups do not count yet (the fold of issue 14)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 05:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # Every row stored so far was added to the rollups in its own transaction: not pending.
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index(
        'ix_responses_pending', 'responses', ['location_id'], unique=False,
        sqlite_where=sa.text('pending = 1'), postgresql_where=sa.text('pending'),
    )


def downgrade():
    # Fold what is pending first (`flask rollups fold`): the old code has no fold.
    op.drop_index('ix_responses_pending', table_name='responses',
                  sqlite_where=sa.text('pending = 1'), postgresql_where=sa.text('pending'))
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('pending')
