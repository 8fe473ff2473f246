"""Alembic environment of the application store: run by `workers.store.upgrade()` or the `alembic` command."""

from alembic import context
from sqlalchemy import Connection

from workers.store.database import create_store_engine
from workers.store.models import Base


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def _database_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from workers.settings import Settings

    return Settings.from_env().database_url


def main() -> None:
    """Migrate over the connection `upgrade()` passes, else over one to the configured database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    elif context.is_offline_mode():
        context.configure(url=_database_url(), target_metadata=Base.metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    else:
        engine = create_store_engine(_database_url())
        try:
            with engine.connect() as connection:
                _run(connection)
        finally:
            engine.dispose()


main()
