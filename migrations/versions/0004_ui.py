"""ui: one opinion per expert per application; attachments superseded by a newer file of their kind

Revision ID: 0004_ui
Revises: 0004_perf
Create Date: 2026-12-02 17:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_ui'
down_revision = '0004_perf'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('expert_review', schema=None) as batch_op:
        batch_op.create_unique_constraint(
            op.f('uq_expert_review_application_id_expert_name'), ['application_id', 'expert_name']
        )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f('fk_attachment_superseded_by_id_attachment'), 'attachment', ['superseded_by_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_attachment_superseded_by_id_attachment'), type_='foreignkey')
        batch_op.drop_column('superseded_by_id')
    with op.batch_alter_table('expert_review', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('uq_expert_review_application_id_expert_name'), type_='unique')
