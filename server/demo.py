"""A demo cooperative: two locations, three savings types, bank accounts, 20 members and a badan,
three officers (two sharing a location), a board member and an admin, with opening balances posted
through the ledger; three loan products and a payroll profile (plafon, deductions) per member.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from server.auth.passwords import Passwords
from server.domain.branding import BrandingInput, validate_branding
from server.domain.loans import LoanProduct, PayrollProfile
from server.domain.models import BankAccount, Deposit, Member, Posting
from server.domain.savings import DEFAULT_SAVINGS_TYPES
from server.storage import accounts, savings
from server.storage import branding as branding_store
from server.storage import loans as loan_store
from server.storage.database import Connection, Database

__all__ = ["DEMO_PASSWORD", "DEMO_BRANDING", "load_demo", "demo_loaded", "demo_accounts", "demo_logins"]

DEMO_PASSWORD = "rahasia123"

LOCATIONS = [
    (1, "Kantor Pusat", "Jl. Slamet Riyadi 10, Surakarta"),
    (2, "Pabrik Sukoharjo", "Jl. Raya Solo-Sukoharjo km 7"),
]
NAMES = [
    "Budi Santoso",
    "Siti Rahayu",
    "Agus Setiawan",
    "Dewi Lestari",
    "Eko Prasetyo",
    "Fitri Handayani",
    "Hendra Wijaya",
    "Indah Permatasari",
    "Joko Susilo",
    "Kartika Sari",
    "Lukman Hakim",
    "Maya Anggraini",
    "Nur Hidayat",
    "Oktaviani Putri",
    "Purnomo Adi",
    "Ratna Dewi",
    "Slamet Riyanto",
    "Tri Wahyuni",
    "Umar Said",
    "Wulan Sari",
]
STAFF = [
    # id, username, name, role, locations
    (101, "petugas1", "Rudi Hartono", "petugas", [1]),
    (102, "petugas2", "Sri Mulyani", "petugas", [1]),
    (103, "petugas3", "Bambang Irawan", "petugas", [2]),
    (104, "pengurus1", "Ir. Hadi Susanto", "pengurus", []),
    (105, "admin", "Admin Koperasi", "admin", []),
]


PRODUCTS = [
    LoanProduct(
        1,
        "Pinjaman Umum",
        ("Pendidikan", "Renovasi rumah", "Kesehatan", "Modal usaha"),
        "efektif",
        1200,
        1_000_000,
        100_000_000,
        3,
        60,
        admin_fee_bp=100,
        rounding_multiple=100,
    ),
    LoanProduct(
        2,
        "Pinjaman Barang",
        ("Elektronik", "Kendaraan", "Perabot"),
        "flat",
        1200,
        500_000,
        20_000_000,
        3,
        24,
        rounding_mode="up",
        rounding_multiple=1000,
    ),
    LoanProduct(3, "Pinjaman Darurat", ("Darurat keluarga", "Kesehatan"), "anuitas", 900, 500_000, 10_000_000, 1, 12),
]


def _opening(conn: Connection, member: Member, savings_type: str, amount: int, now: dt.datetime) -> None:
    deposit = Deposit(
        id=str(uuid.uuid4()),
        code=savings.next_code(conn, "STR", now),
        member_id=member.id,
        savings_type=savings_type,
        kind="offline",
        amount=amount,
        location_id=member.location_id,
        status="verified",
        created_by=105,
        created_at=now,
        note="Saldo awal",
        decided_by=105,
        decided_role="admin",
        decided_at=now,
    )
    savings.insert_deposit(conn, deposit)
    savings.post(conn, Posting(member.id, savings_type, amount, "deposit", deposit.id, deposit.code), now)


DEMO_BRANDING = BrandingInput("Koperasi Karyawan Sejahtera Bersama", "KKSB", "#0d47a1")
"""The demo cooperative's identity (the holder of its bank accounts), set as the admin would set it, so
the app's header, the manifest, the login page and every PDF name the same cooperative."""


def load_demo(db: Database, passwords: Passwords) -> bool:
    """Load the demo cooperative once; returns False if the database already has members.

    The check comes before hashing: 25 argon2 hashes take seconds, and ``serve --demo`` on a loaded
    database must start at once (and never touch the stored hashes).
    """
    if db.read_sync(savings.has_members):
        return False
    hashes: dict[str, str] = {}

    def write(conn: Connection) -> bool:
        if savings.has_members(conn):
            return False
        now = dt.datetime.now(dt.UTC)
        for loc_id, name, address in LOCATIONS:
            savings.insert_location(conn, loc_id, name, address)
        for st in DEFAULT_SAVINGS_TYPES:
            savings.insert_savings_type(conn, st)
        savings.insert_bank_account(conn, BankAccount(1, "Bank Mandiri", "1380012345678", DEMO_BRANDING.name))
        savings.insert_bank_account(conn, BankAccount(2, "BRI", "002101000123567", DEMO_BRANDING.name))
        for staff_id, username, name, role, locs in STAFF:
            accounts.insert_user(
                conn,
                user_id=staff_id,
                username=username,
                name=name,
                password_hash=hashes[username],
                role=role,
                demo=True,
            )
            if locs:
                accounts.assign_locations(conn, staff_id, locs)
        for i, name in enumerate(NAMES, start=1):
            member = Member(i, f"A{i:04d}", name, "anggota", 1 if i <= 12 else 2)
            savings.insert_member(conn, member, now.date().isoformat())
            username = f"anggota{i:02d}"
            accounts.insert_user(
                conn,
                user_id=i,
                username=username,
                name=name,
                password_hash=hashes[username],
                role="anggota",
                member_id=i,
                demo=True,
            )
            _opening(conn, member, "pokok", 100_000, now)
            _opening(conn, member, "wajib", 50_000 * (6 + i % 7), now)
            _opening(conn, member, "sukarela", 500_000 + 125_000 * i, now)
        for product in PRODUCTS:
            loan_store.save_product(conn, product)
        for i in range(1, len(NAMES) + 1):
            profile = PayrollProfile(
                member_id=i,
                plafon=2_500_000 + 250_000 * (i % 8),
                birth_date=dt.date(1976 + i, i % 12 + 1, 10),
                category="karyawan",
                voluntary_deduction=100_000 * (i % 3),
                mandatory_savings=50_000,
            )
            loan_store.save_profile(conn, profile, 105, now)
        badan = Member(21, "B0001", "Paguyuban Karyawan Konimex", "badan", 1)
        savings.insert_member(conn, badan, now.date().isoformat())
        _opening(conn, badan, "sukarela", 2_500_000, now)
        brand = validate_branding(DEMO_BRANDING)  # the admin endpoint's checks and store function
        branding_store.save_branding(conn, brand.name, brand.short_name, brand.theme_color, 105, now.isoformat())
        return True

    usernames = [s[1] for s in STAFF] + [f"anggota{i:02d}" for i in range(1, len(NAMES) + 1)]
    for username in usernames:
        hashes[username] = passwords.hash(DEMO_PASSWORD)
    return db.write_sync(write)


def demo_loaded(db_path: str | Path) -> bool:
    """True if the database holds the demo's logins (read-only look, for ``demo --logins``)."""
    usernames = [s[1] for s in STAFF] + [f"anggota{i:02d}" for i in range(1, len(NAMES) + 1)]
    return accounts.all_users_exist(db_path, usernames)


def demo_logins() -> list[dict[str, Any]]:
    """Every demo login as data: username, role, name, locations and the printed description."""
    logins: list[dict[str, Any]] = [
        {"username": u, "role": r, "name": n, "location_ids": list(locs), "member_id": None}
        for _, u, n, r, locs in STAFF
    ]
    logins += [
        {"username": f"anggota{i:02d}", "role": "anggota", "name": n, "location_ids": [], "member_id": i}
        for i, n in enumerate(NAMES, start=1)
    ]
    descriptions = dict(demo_accounts())
    for login in logins:
        login["description"] = descriptions[login["username"]]
    return logins


def demo_accounts() -> list[tuple[str, str]]:
    """(username, description) of every demo login, for printing."""
    rows = [
        (u, f"{r} — {n}" + (f" (lokasi {', '.join(map(str, locs))})" if locs else "")) for _, u, n, r, locs in STAFF
    ]
    rows += [(f"anggota{i:02d}", f"anggota — {n}") for i, n in enumerate(NAMES, start=1)]
    return rows
