"""Alembic run-time environment: online migrations only, URL from the programmatic config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from backend.models import Base
import backend.workspace_models  # noqa: F401  (staff sessions, sent alerts: same metadata)

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    engine = create_engine(url, poolclass=pool.NullPool, future=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; run `python -m backend migrate`")
run_migrations_online()
