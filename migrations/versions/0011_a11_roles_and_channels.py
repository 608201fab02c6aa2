"""A-11 as Touchpoints reads it: survey versions' A-11 role, service provider, channels per location

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('a11_role', sa.String(length=16), nullable=True))

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service_provider', sa.String(length=200), nullable=True))

    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('a11_channel_kiosk', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('a11_channel_qr', sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table('locations', schema=None) as batch_op:
        batch_op.drop_column('a11_channel_qr')
        batch_op.drop_column('a11_channel_kiosk')

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('service_provider')

    with op.batch_alter_table('survey_versions', schema=None) as batch_op:
        batch_op.drop_column('a11_role')
