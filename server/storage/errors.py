"""The storage layer's own errors, so the layers above never catch a driver's exception types.

``StorageBusy`` is temporary (locked, disk full, I/O): nothing of the failed statement's transaction
is kept and the caller answers "try again". ``StorageIntegrity`` is a constraint the data refused (a
rule the domain missed): the caller refuses that one piece of work. A PostgreSQL backend raises the
same two.
"""

from __future__ import annotations

import sqlite3

__all__ = ["StorageError", "StorageBusy", "StorageIntegrity", "translate"]


class StorageError(Exception):
    """Base of the storage layer's errors."""


class StorageBusy(StorageError):
    """Temporary: the database is locked, full or failing; retry later."""


class StorageIntegrity(StorageError):
    """A constraint (unique, foreign key, check) refused the write."""


def translate(exc: BaseException) -> BaseException:
    """The storage error for a driver exception; any other exception unchanged."""
    if isinstance(exc, sqlite3.IntegrityError):
        return StorageIntegrity(str(exc))
    if isinstance(exc, sqlite3.OperationalError):
        return StorageBusy(str(exc))
    return exc
