"""Alembic environment: transactional migrations on SQLite.

pysqlite's own transaction handling would commit DDL statement by statement; following SQLAlchemy's
documented recipe we turn it off on connect and emit ``BEGIN`` ourselves, so a failed migration
leaves nothing half-applied.
"""

from __future__ import annotations

import sqlite3

from alembic import context
from sqlalchemy import Connection, create_engine, event

config = context.config
url = config.get_main_option("sqlalchemy.url")
if url is None:
    raise RuntimeError("sqlalchemy.url is not set: run migrations through server.storage, which sets it")
engine = create_engine(url)


@event.listens_for(engine, "connect")
def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA foreign_keys=ON")


@event.listens_for(engine, "begin")
def _begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


with engine.connect() as connection:
    context.configure(connection=connection, transactional_ddl=True, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
