"""All SQL in ``server/storage/`` (issue 6.5): outside it no module imports a database driver, calls
``execute``, or holds an SQL statement. ``server/storage/interface.py`` names what the rest of the
server gets instead.

``server/access.py`` writes the access policy's SQL *condition* beside its Python check on purpose
(one rule, two forms); it executes nothing and imports no driver, so it passes these checks.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "server"
STORAGE = SERVER / "storage"

# Modules outside storage allowed to touch SQL, each with its reason (none left: keep it that way).
ALLOWED: dict[str, str] = {}
DRIVERS = {"sqlite3", "sqlalchemy", "psycopg", "psycopg2", "asyncpg", "apsw"}
RUNNERS = {"execute", "executemany", "executescript"}
STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|WITH)\s"
)


def violations(source: str) -> list[str]:
    """What in this module's source reaches a database directly."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if a.name.split(".")[0] in DRIVERS]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in DRIVERS:
            found.append(f"line {node.lineno}: from {node.module} import")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in RUNNERS:
            found.append(f"line {node.lineno}: .{node.func.attr}(...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and STATEMENT.match(node.value):
            found.append(f"line {node.lineno}: SQL {node.value.strip()[:40]!r}")
    return found


def _modules() -> list[Path]:
    return sorted(p for p in SERVER.rglob("*.py") if STORAGE not in p.parents)


def test_no_module_outside_storage_imports_a_driver_or_runs_sql() -> None:
    offenders = {}
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        found = violations(path.read_text())
        if found and rel not in ALLOWED:
            offenders[rel] = found
    assert offenders == {}, "SQL outside server/storage/ (add a storage function instead):\n" + "\n".join(
        f"{rel}: {found}" for rel, found in offenders.items()
    )


def test_the_allowances_are_still_needed() -> None:
    """An allowance that is no longer used must be dropped, so the list only shrinks."""
    for rel in ALLOWED:
        path = ROOT / rel
        assert path.exists() and violations(path.read_text()), f"{rel} no longer touches SQL: remove it from ALLOWED"


@pytest.mark.parametrize(
    "snippet",
    [
        "import sqlite3",
        "from sqlite3 import Row",
        "conn.execute('x')",
        "c.executemany(q, rows)",
        "q = 'SELECT 1 FROM members'",
        "q = f'UPDATE loans SET status = {s}'",
        "q = '''\n  INSERT INTO t VALUES (1)'''",
    ],
)
def test_the_check_sees_each_way_of_reaching_the_database(snippet: str) -> None:
    assert violations(snippet)


def test_the_check_leaves_plain_words_alone() -> None:
    source = '"""Select a member; update the dashboard."""\nx = "lumbung.sqlite3"\nsql = "member_id = ?"'
    assert violations(source) == []
