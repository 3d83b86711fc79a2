"""index order_refs.order_id (an order is read with all its references)

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('order_refs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_refs_order_id'), ['order_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('order_refs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_refs_order_id'))
