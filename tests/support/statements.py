"""Counting the SQL statements a request sends, to pin that it sends a constant number."""

import contextlib

from sqlalchemy import event


def _connection_upkeep(query: str) -> bool:
    return "typeinfo_tree" in query or "current_setting('jit')" in query


@contextlib.contextmanager
def counting_statements(*engines, driver_calls: bool = True):
    """Every statement sent on `engines`: the ORM's (SQLAlchemy's cursor events) and, with
    `driver_calls`, those sent straight through asyncpg (the metrics readers', and transaction
    control; asyncpg's query loggers on each connection checked out), but not what asyncpg asks
    once per connection to learn its types, whose number depends on which pooled connections a
    request happens to get."""
    statements: list[str] = []

    def orm(conn, cursor, statement, *args):
        statements.append(statement)

    def raw(record):
        if not _connection_upkeep(record.query):
            statements.append(record.query)

    def checkout(dbapi_connection, record, proxy):
        proxy.driver_connection.add_query_logger(raw)

    def checkin(dbapi_connection, record):
        dbapi_connection.driver_connection.remove_query_logger(raw)

    listeners = []
    for engine in engines:
        if engine is None:
            continue
        listeners.append((engine.sync_engine, "before_cursor_execute", orm))
        if driver_calls:
            listeners.append((engine.sync_engine.pool, "checkout", checkout))
            listeners.append((engine.sync_engine.pool, "checkin", checkin))
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield statements
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)
