"""person roles: who may import, edit the chart, prepare, review, export, administer

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 08:55:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('person_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('granted_by', sa.String(length=200), nullable=False),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'importer', 'chart', 'preparer', 'reviewer', 'exporter')",
                       name=op.f('ck_person_roles_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_roles')),
    sa.UniqueConstraint('person', 'role', name='uq_person_roles_person_role')
    )


def downgrade() -> None:
    op.drop_table('person_roles')
