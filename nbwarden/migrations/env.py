"""Alembic environment for the nbwarden ledger.

:meth:`nbwarden.ledger.Ledger.upgrade` runs migrations programmatically and
passes its open connection in ``config.attributes["connection"]``.  Run by
hand, ``sqlalchemy.url`` (or ``NBWARDEN_DB_URL``) names the database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from nbwarden.ledger import Base, default_url

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url") or default_url(),
                          target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or default_url())
    with engine.begin() as conn:
        _configure(conn)


run()
