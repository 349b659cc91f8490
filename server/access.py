"""Who may see or act on what: the one access policy (DESIGN rule 6, invariant 3).

A row that belongs to someone names up to three owners: the member it is about, the location it
belongs to and the user who made it. A user may see such a row when

- their role sees everything (``pengurus``, ``admin``), or
- the row is about their own member record, or
- they made it, or
- they are an officer (``petugas``) of the row's location (other roles' locations count for nothing).

Reference data (audience ``all``) is for everyone; a private row (a mutation result) only for its user.

The rule is written here once, in two forms that must agree: ``may_see`` checks one row in hand
(a loan, a member, a poke's scopes) and ``condition`` gives the SQL condition for queries over many
rows (the feed, the read API, attachment downloads). Storage runs the condition; nothing here opens
or queries a database. ``tests/server/test_access_policy.py`` checks that the two forms agree on
every role × row, and through the feed, the read API, downloads and pokes of a real server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from msgspec import Struct

from server.domain.models import OFFICER, SEES_ALL, Actor

__all__ = [
    "Reach",
    "Owners",
    "reach",
    "reach_of",
    "reach_of_actor",
    "may_see",
    "may_see_change",
    "wants_poke",
    "condition",
    "change_condition",
]


class Reach(Struct, frozen=True):
    """What one user may see, reduced to the facts the rule needs."""

    user_id: int
    everything: bool
    member_id: int | None = None
    location_ids: frozenset[int] = frozenset()
    """Locations the user serves as an officer; empty for every other role."""


class Owners(Struct, frozen=True):
    """The owners a row names (any may be absent)."""

    member_id: int | None = None
    location_id: int | None = None
    created_by: int | None = None


class _UserLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def member_id(self) -> int | None: ...
    @property
    def location_ids(self) -> Iterable[int]: ...


def reach(user_id: int, role: str, member_id: int | None, location_ids: Iterable[int]) -> Reach:
    """The reach of a user with this role: only an officer's locations count."""
    return Reach(
        user_id=user_id,
        everything=role in SEES_ALL,
        member_id=member_id,
        location_ids=frozenset(int(x) for x in location_ids) if role == OFFICER else frozenset(),
    )


def reach_of(user: _UserLike) -> Reach:
    """The reach of an authenticated user record (``storage.accounts.UserRecord``)."""
    return reach(user.id, user.role, user.member_id, user.location_ids)


def reach_of_actor(actor: Actor) -> Reach:
    return reach(actor.user_id, actor.role, actor.member_id, actor.location_ids)


# --- the rule, for one row in hand --------------------------------------------------------------


def may_see(r: Reach, owners: Owners) -> bool:
    """True if the user may see (and so learn of) a row with these owners."""
    return (
        r.everything
        or (owners.member_id is not None and owners.member_id == r.member_id)
        or (owners.created_by is not None and owners.created_by == r.user_id)
        or (owners.location_id is not None and owners.location_id in r.location_ids)
    )


def may_see_change(r: Reach, audience: str, owners: Owners) -> bool:
    """A change-log row: ``all`` for everyone, ``private`` for its user, ``scoped`` by ``may_see``."""
    if audience == "all":
        return True
    if audience == "private":
        return owners.created_by is not None and owners.created_by == r.user_id
    return audience == "scoped" and may_see(r, owners)


def wants_poke(r: Reach, scopes: Iterable[tuple[str, int | None]]) -> bool:
    """True if a commit that touched these feed scopes changed something the user may pull.

    A scope ``("user", u)`` comes from a private row of ``u`` or a row ``u`` made; either way only
    ``u`` needs the poke (a scoped row also touches its member and location, which reach the rest).
    """
    for kind, value in scopes:
        if kind == "all":
            return True
        if kind == "user" and value == r.user_id:
            return True
        if kind == "member" and may_see(r, Owners(member_id=value)):
            return True
        if kind == "location" and may_see(r, Owners(location_id=value)):
            return True
    return False


# --- the same rule, as SQL -----------------------------------------------------------------------


def condition(
    r: Reach, *, member: str | None = None, location: str | None = None, creator: str | None = None
) -> tuple[str, list[Any]]:
    """An SQL condition (with ``?`` parameters) true for rows the user may see.

    ``member``, ``location`` and ``creator`` name the columns holding the row's owners; a table without
    one of them passes None. Location ids are integers inlined from the reach, never from input.
    """
    if r.everything:
        return "1 = 1", []
    parts: list[str] = []
    params: list[Any] = []
    if member is not None and r.member_id is not None:
        parts.append(f"{member} = ?")
        params.append(r.member_id)
    if creator is not None:
        parts.append(f"{creator} = ?")
        params.append(r.user_id)
    if location is not None and r.location_ids:
        parts.append(f"{location} IN ({','.join(str(int(x)) for x in sorted(r.location_ids))})")
    if not parts:
        return "0 = 1", []
    return "(" + " OR ".join(parts) + ")", params


def change_condition(r: Reach) -> tuple[str, list[Any]]:
    """``may_see_change`` over the change log's columns (``audience``, ``scope_*``).

    ``scope_user`` is the user of a private row and the creator of a scoped one, so one comparison
    serves both.
    """
    scoped, params = condition(r, member="scope_member", location="scope_location")
    return f"(audience = 'all' OR scope_user = ? OR (audience = 'scoped' AND {scoped}))", [r.user_id, *params]
