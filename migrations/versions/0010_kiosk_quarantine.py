"""kiosk heartbeat: responses held back in quarantine

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 23:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quarantined', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('quarantined_ids', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('quarantined_ids')
        batch_op.drop_column('quarantined')
