"""Alembic environment: SegDesk passes its own engine in; no alembic.ini is needed."""

from alembic import context

from segdesk.store.schema import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
        compare_type=True,
    )
    context.run_migrations()
