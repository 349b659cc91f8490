"""The access policy's two forms agree: the Python check and the SQL condition, for every reach × row.

(The same rule through the feed, the read API, downloads and pokes of a real server is
``tests/protocol/test_protocol_access_matrix.py``.)
"""

from __future__ import annotations

import itertools
import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from server.access import (
    Owners,
    Reach,
    change_condition,
    condition,
    may_see,
    may_see_change,
    reach,
    reach_of,
    reach_of_actor,
    wants_poke,
)
from server.domain.models import Actor
from server.storage.accounts import UserRecord

ROLES = ("anggota", "petugas", "pengurus", "admin")
ids = st.one_of(st.none(), st.integers(1, 4))
reaches = st.builds(
    reach,
    user_id=st.integers(1, 4),
    role=st.sampled_from(ROLES),
    member_id=ids,
    location_ids=st.frozensets(st.integers(1, 3), max_size=3),
)
owners = st.builds(Owners, member_id=ids, location_id=st.one_of(st.none(), st.integers(1, 3)), created_by=ids)


def _sql_sees(r: Reach, row: Owners) -> bool:
    where, params = condition(r, member="member_id", location="location_id", creator="created_by")
    with sqlite3.connect(":memory:") as conn:
        conn.execute("CREATE TABLE t (member_id INTEGER, location_id INTEGER, created_by INTEGER)")
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (row.member_id, row.location_id, row.created_by))
        return conn.execute(f"SELECT COUNT(*) FROM t WHERE {where}", params).fetchone()[0] == 1


def _sql_sees_change(r: Reach, audience: str, row: Owners) -> bool:
    where, params = change_condition(r)
    with sqlite3.connect(":memory:") as conn:
        conn.execute("CREATE TABLE changes (audience, scope_member, scope_location, scope_user)")
        conn.execute(
            "INSERT INTO changes VALUES (?, ?, ?, ?)", (audience, row.member_id, row.location_id, row.created_by)
        )
        return conn.execute(f"SELECT COUNT(*) FROM changes WHERE {where}", params).fetchone()[0] == 1


def _touched(audience: str, row: Owners) -> set[tuple[str, int | None]]:
    """The scopes ``feed.record_change`` reports for such a change."""
    if audience == "all":
        return {("all", None)}
    scopes: set[tuple[str, int | None]] = set()
    for kind, value in (("member", row.member_id), ("location", row.location_id), ("user", row.created_by)):
        if value is not None:
            scopes.add((kind, value))
    return scopes


@given(reaches, owners)
def test_python_check_and_sql_condition_agree_on_every_row(r: Reach, row: Owners) -> None:
    assert may_see(r, row) == _sql_sees(r, row)


@given(reaches, owners, st.sampled_from(["all", "scoped", "private"]))
def test_feed_condition_agrees_with_the_check_for_every_audience(r: Reach, row: Owners, audience: str) -> None:
    if audience == "private":
        row = Owners(created_by=row.created_by)  # a private change names only its user
    assert may_see_change(r, audience, row) == _sql_sees_change(r, audience, row)


@given(reaches, owners, st.sampled_from(["all", "scoped", "private"]))
def test_a_poke_reaches_exactly_who_may_pull_the_change(r: Reach, row: Owners, audience: str) -> None:
    if audience == "private":
        row = Owners(created_by=row.created_by)
    if audience == "scoped" and row.member_id is None and row.location_id is None:
        row = Owners(member_id=1, created_by=row.created_by)  # every scoped row names a member or a location
    assert wants_poke(r, _touched(audience, row)) == may_see_change(r, audience, row)


def test_the_rule_by_role() -> None:
    """The table the docstring of server/access.py states, spelled out."""
    row = Owners(member_id=3, location_id=1, created_by=101)
    assert may_see(reach(104, "pengurus", None, ()), row) and may_see(reach(105, "admin", None, ()), row)
    assert may_see(reach(3, "anggota", 3, ()), row)  # about their member record
    assert not may_see(reach(4, "anggota", 4, ()), row)
    assert may_see(reach(101, "petugas", None, ()), row)  # they made it, wherever they serve now
    assert may_see(reach(102, "petugas", None, [1]), row)  # an officer of its location
    assert not may_see(reach(103, "petugas", None, [2]), row)
    # locations count only for an officer: a member with a stray location row sees only their own
    assert not may_see(reach(5, "anggota", 5, [1]), row)
    assert may_see(reach(5, "pengurus", None, [1]), Owners())  # the board sees even rows naming no owner


def test_sql_condition_names_only_the_columns_it_is_given() -> None:
    officer = reach(102, "petugas", 7, [2, 1])
    assert condition(officer, member="m", location="l", creator="c") == ("(m = ? OR c = ? OR l IN (1,2))", [7, 102])
    assert condition(officer, location="l") == ("(l IN (1,2))", [])
    assert condition(reach(9, "anggota", None, [1])) == ("0 = 1", [])
    assert condition(reach(1, "admin", None, ()), member="m") == ("1 = 1", [])


def test_every_combination_of_small_reaches_and_rows_agrees() -> None:
    """Exhaustive over a small universe, beside the random search above."""
    small = [None, 1, 2]
    for role, user_id, member_id, locs in itertools.product(ROLES, (1, 2), small, ((), (1,), (1, 2))):
        r = reach(user_id, role, member_id, locs)
        for m, loc, c in itertools.product(small, small, small):
            row = Owners(m, loc, c)
            assert may_see(r, row) == _sql_sees(r, row), (r, row)


def test_a_user_record_and_an_actor_have_the_same_reach() -> None:
    record = UserRecord(
        id=5, username="anggota05", name="E", role="anggota", member_id=5, active=True, scope_gen=0, location_ids=(2,)
    )
    actor = Actor(5, "anggota", 5, frozenset({2}))
    assert reach_of(record) == reach_of_actor(actor) == Reach(5, False, 5, frozenset())
    officer = UserRecord(
        id=101, username="p", name="P", role="petugas", member_id=None, active=True, scope_gen=0, location_ids=(1, 2)
    )
    assert reach_of(officer).location_ids == frozenset({1, 2})
