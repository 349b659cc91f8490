"""The board structure: who sits on the *pengurus* (management) and the *pengawas* (supervisors),
in which position, for which term. Shown to every member; managed by the admin."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec
from msgspec import Struct

from server.errors import InvalidInput

__all__ = ["BODIES", "POSITIONS", "BoardPositionInput", "BoardPosition", "check_position", "current_board"]

BODIES = ("pengurus", "pengawas")
POSITIONS: dict[str, tuple[str, ...]] = {
    "pengurus": ("Ketua", "Wakil Ketua", "Sekretaris", "Wakil Sekretaris", "Bendahara", "Wakil Bendahara", "Anggota"),
    "pengawas": ("Ketua", "Sekretaris", "Anggota"),
}
"""Positions as Indonesian cooperatives name them, in the order a board is listed."""


class BoardPositionInput(Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    body: Literal["pengurus", "pengawas"]
    position: str
    name: str
    term_start: dt.date
    term_end: dt.date
    active: bool = True


class BoardPosition(Struct, kw_only=True, frozen=True):
    id: int
    body: Literal["pengurus", "pengawas"]
    position: str
    name: str
    term_start: dt.date
    term_end: dt.date
    active: bool = True


def check_position(position_id: int, spec: BoardPositionInput) -> BoardPosition:
    """A valid board position, or ``InvalidInput`` (``board_position_invalid``, ``name_invalid``, ``term_invalid``)."""
    if position_id < 1:
        raise InvalidInput("board_position_id_invalid", "Id jabatan harus bilangan positif.")
    if spec.position not in POSITIONS[spec.body]:
        raise InvalidInput(
            "board_position_invalid",
            f"Jabatan {spec.body} harus salah satu dari: {', '.join(POSITIONS[spec.body])}.",
            {"allowed": list(POSITIONS[spec.body])},
        )
    name = " ".join(spec.name.split())
    if not name or len(name) > 200:
        raise InvalidInput("name_invalid", "Nama wajib diisi (paling panjang 200 karakter).")
    if spec.term_end <= spec.term_start:
        raise InvalidInput("term_invalid", "Akhir masa jabatan harus setelah awalnya.")
    return BoardPosition(id=position_id, **{**msgspec.structs.asdict(spec), "name": name})


def current_board(positions: list[BoardPosition], today: dt.date) -> list[BoardPosition]:
    """Active positions whose term includes today, pengurus first, in the order of ``POSITIONS``."""

    def order(p: BoardPosition) -> tuple[int, int, str]:
        ranks = POSITIONS[p.body]
        return (BODIES.index(p.body), ranks.index(p.position) if p.position in ranks else len(ranks), p.name)

    return sorted((p for p in positions if p.active and p.term_start <= today <= p.term_end), key=order)
