"""version columns for optimistic locking on findings, mappings and sign-offs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:50:00

Each row starts at version 1; every change through the ORM raises it by one and is refused when
the row's version is no longer the one the writer read (a concurrent change won).
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

TABLES = ('findings', 'mappings', 'sign_offs')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
