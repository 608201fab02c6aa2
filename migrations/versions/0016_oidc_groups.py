"""single sign-on: identity-provider groups and the role each gives (admin, or manager of offices)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 05:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sso_group_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_group_roles')),
    sa.UniqueConstraint('group_name', name=op.f('uq_sso_group_roles_group_name'))
    )
    op.create_table('sso_group_offices',
    sa.Column('group_role_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_role_id'], ['sso_group_roles.id'], name=op.f('fk_sso_group_offices_group_role_id_sso_group_roles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_sso_group_offices_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_role_id', 'office_id', name=op.f('pk_sso_group_offices'))
    )


def downgrade():
    op.drop_table('sso_group_offices')
    op.drop_table('sso_group_roles')
