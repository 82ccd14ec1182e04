"""supervisor role: 监管部门 users, scoped to a district or the whole city

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

OLD_ROLES = ('manufacturer', 'reviewer', 'hospital', 'admin')
NEW_ROLES = OLD_ROLES + ('supervisor',)


def _role_check(roles):
    return "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")"


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('district', sa.String(length=16), nullable=True))
        batch_op.drop_constraint(op.f('ck_user_role'), type_='check')
        batch_op.create_check_constraint('role', _role_check(NEW_ROLES))
        batch_op.create_check_constraint('district_scope', "role = 'supervisor' OR district IS NULL")


def downgrade():
    op.execute("DELETE FROM \"user\" WHERE role = 'supervisor'")
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_district_scope'), type_='check')
        batch_op.drop_constraint(op.f('ck_user_role'), type_='check')
        batch_op.create_check_constraint('role', _role_check(OLD_ROLES))
        batch_op.drop_column('district')
