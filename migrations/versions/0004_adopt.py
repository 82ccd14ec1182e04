"""adoption: equipping, use reports, chases, usage reminders, dashboard rollups

Revision ID: 0004_adopt
Revises: 0004_sec
Create Date: 2026-12-02 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_adopt'
down_revision = '0004_sec'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chase',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('chased_by_id', sa.Integer(), nullable=False),
    sa.Column('chased_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_chase_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['chased_by_id'], ['user.id'], name=op.f('fk_chase_chased_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chase')),
    sa.UniqueConstraint('assessment_id', name=op.f('uq_chase_assessment_id'))
    )
    op.create_table('equipping',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('equipped_on', sa.Date(), nullable=False),
    sa.Column('route', sa.Enum('online', 'tender', 'negotiated', 'lease', 'other', name='procurementroute', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('uses_total', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_equipping_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user.id'], name=op.f('fk_equipping_recorded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_equipping')),
    sa.UniqueConstraint('assessment_id', name=op.f('uq_equipping_assessment_id'))
    )
    op.create_table('usage_reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_usage_reminder_assessment_id_assessment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_reminder')),
    sa.UniqueConstraint('assessment_id', 'month', name=op.f('uq_usage_reminder_assessment_id_month'))
    )
    op.create_table('usage_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.Column('reported_by_id', sa.Integer(), nullable=False),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('uses >= 0', name=op.f('ck_usage_report_uses_not_negative')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_usage_report_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user.id'], name=op.f('fk_usage_report_reported_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_usage_report')),
    sa.UniqueConstraint('assessment_id', 'month', name=op.f('uq_usage_report_assessment_id_month'))
    )
    with op.batch_alter_table('usage_report', schema=None) as batch_op:
        batch_op.create_index('ix_usage_report_month', ['month'], unique=False)

    op.create_table('hospital_rollup',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hospitals', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('admitted', sa.Integer(), nullable=False),
    sa.Column('declined', sa.Integer(), nullable=False),
    sa.Column('not_applicable', sa.Integer(), nullable=False),
    sa.Column('on_time', sa.Integer(), nullable=False),
    sa.Column('late', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('equipped', sa.Integer(), nullable=False),
    sa.Column('in_use', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_hospital_rollup_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'], name=op.f('fk_hospital_rollup_hospital_id_hospital'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'hospital_id', name=op.f('pk_hospital_rollup'))
    )
    op.create_table('month_rollup',
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('decisions', sa.Integer(), nullable=False),
    sa.Column('uses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batch.id'], name=op.f('fk_month_rollup_batch_id_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['hospital_id'], ['hospital.id'], name=op.f('fk_month_rollup_hospital_id_hospital'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('batch_id', 'hospital_id', 'month', name=op.f('pk_month_rollup'))
    )


def downgrade():
    op.drop_table('month_rollup')
    op.drop_table('hospital_rollup')

    with op.batch_alter_table('usage_report', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_report_month')

    op.drop_table('usage_report')
    op.drop_table('usage_reminder')
    op.drop_table('equipping')
    op.drop_table('chase')
