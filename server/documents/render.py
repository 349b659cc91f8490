"""The five documents: deposit slip, withdrawal slip, savings statement, loan schedule and history,
the officer's daily cash report. Each takes the letterhead (who the cooperative is, who prints, its
time zone), plain data (gathered by the controller from storage) and the signed QR payload, and
returns PDF bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from server.domain.branding import Branding
from server.domain.models import COOP_TZ
from server.domain.rules import rupiah
from server.domain.terbilang import terbilang
from server.domain.timezone import label

from .pdf import Page

__all__ = [
    "Letterhead",
    "deposit_slip",
    "withdrawal_slip",
    "savings_statement",
    "loan_statement",
    "cash_report",
    "when",
]

Logo = tuple[bytes, str] | None
A5 = (148.0, 210.0)
"""A5 in millimetres (fpdf2 warns when its name is used: its dimensions changed in 2.8.5)."""
STATUS = {
    "unverified": "Belum diverifikasi",
    "verified": "Terverifikasi",
    "cancelled": "Dibatalkan",
    "rejected": "Ditolak",
    "submitted": "Diajukan",
    "approved": "Disetujui",
    "active": "Aktif",
    "paid_off": "Lunas",
}
QR_CAPTION = (
    "Pindai kode QR ini di aplikasi Lumbung untuk memeriksa keaslian dokumen: kode transaksi dan hash "
    "buku besar ditandatangani server. Hasil: Asli atau Tidak cocok."
)


class Letterhead(NamedTuple):
    """What every page of a document shares: the cooperative's branding and logo, the person printing,
    and the cooperative's time zone (every time printed is in it)."""

    branding: Branding
    logo: Logo
    printed_by: str
    tz: ZoneInfo = COOP_TZ

    def page(self, title: str, fmt: str | tuple[float, float] = "A4") -> Page:
        return Page(self.branding, self.logo, title, fmt=fmt, printed_by=self.printed_by, tz=self.tz)


def when(value: str | dt.datetime | None, with_time: bool = True, tz: ZoneInfo = COOP_TZ) -> str:
    """A stored UTC timestamp as the cooperative's local time (its zone, WIB by default)."""
    if not value:
        return "-"
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(tz)
    return f"{local:%d-%m-%Y %H:%M} {label(tz.key)}" if with_time else f"{local:%d-%m-%Y}"


def day(value: str | None) -> str:
    """An ISO date (YYYY-MM-DD) the Indonesian way (DD-MM-YYYY)."""
    return "-" if not value else "-".join(reversed(str(value)[:10].split("-")))


def deposit_slip(
    head: Letterhead,
    slip: dict[str, Any],
    entry: dict[str, Any] | None,
    payload: str,
) -> bytes:
    page = head.page("Slip Setoran Simpanan", fmt=A5)
    page.rows(
        [
            ("Kode transaksi", slip["code"]),
            ("Tanggal", when(slip["created_at"], tz=head.tz)),
            ("Anggota", f"{slip['member_number']} - {slip['member_name']}"),
            ("Jenis simpanan", slip["savings_type_name"]),
            (
                "Cara setor",
                "Tunai melalui petugas"
                if slip["kind"] == "offline"
                else f"Transfer ke {slip.get('bank') or '-'} {slip.get('bank_number') or ''}",
            ),
            ("Lokasi", slip["location_name"]),
            ("Status", STATUS.get(slip["status"], slip["status"])),
        ]
    )
    page.amount("Jumlah setoran", slip["amount"], terbilang(slip["amount"]))
    page.rows(
        [
            ("Diverifikasi oleh", slip.get("decided_by_name") or "-"),
            ("Hash buku besar", (entry or {}).get("hash") or "belum dibukukan (menunggu verifikasi)"),
        ]
    )
    page.qr(payload, QR_CAPTION, size=34)
    return page.output()


def withdrawal_slip(
    head: Letterhead,
    slip: dict[str, Any],
    entry: dict[str, Any] | None,
    payload: str,
) -> bytes:
    page = head.page("Slip Penarikan Simpanan", fmt=A5)
    fee = int(slip.get("fee") or 0)  # stored on the withdrawal when the server took the request
    method = "Transfer" if slip["method"] == "transfer" else "Tunai"
    page.rows(
        [
            ("Kode transaksi", slip["code"]),
            ("Tanggal", when(slip["created_at"], tz=head.tz)),
            ("Anggota", f"{slip['member_number']} - {slip['member_name']}"),
            ("Jenis simpanan", slip["savings_type_name"]),
            (
                "Cara penarikan",
                method
                + (
                    f" ke {slip.get('bank_name')} {slip.get('account_number')} a.n. {slip.get('account_holder')}"
                    if slip["method"] == "transfer"
                    else ""
                ),
            ),
            ("Status", STATUS.get(slip["status"], slip["status"])),
        ]
    )
    page.amount("Jumlah penarikan", slip["amount"], terbilang(slip["amount"]))
    page.rows(
        [
            ("Biaya transfer", rupiah(fee)),
            ("Diterima anggota", rupiah(slip["amount"] - fee)),
            ("Diputuskan oleh", slip.get("decided_by_name") or "-"),
            ("Hash buku besar", (entry or {}).get("hash") or "belum dibukukan (menunggu verifikasi)"),
        ]
    )
    page.qr(payload, QR_CAPTION, size=34)
    return page.output()


_KIND = {"deposit": "Setoran", "withdrawal": "Penarikan"}


def savings_statement(
    head: Letterhead,
    member: dict[str, Any],
    card: Any,
    type_name: str,
    payload: str,
) -> bytes:
    page = head.page("Kartu Simpanan")
    page.rows(
        [
            ("Anggota", f"{member['number']} - {member['name']}"),
            ("Jenis simpanan", type_name),
            ("Periode", f"{day(card.period_start)} s.d. {day(card.period_end)}"),
            ("Saldo awal", rupiah(card.opening_balance)),
        ]
    )
    page.heading("Mutasi")
    page.table(
        ["Tanggal", "Kode", "Keterangan", "Debit", "Kredit", "Saldo"],
        [
            (
                when(x.at, tz=head.tz),
                x.ref_code,
                _KIND.get(x.kind, x.kind),
                rupiah(x.debit) if x.debit else "",
                rupiah(x.credit) if x.credit else "",
                rupiah(x.balance),
            )
            for x in card.lines
        ],
        [30, 30, 22, 22, 22, 24],
        "LLLRRR",
    )
    page.rows(
        [
            ("Total kredit", rupiah(card.total_credit)),
            ("Total debit", rupiah(card.total_debit)),
            ("Saldo akhir", rupiah(card.closing_balance)),
        ]
    )
    page.amount("Saldo akhir periode", card.closing_balance, terbilang(card.closing_balance))
    page.qr(payload, QR_CAPTION)
    return page.output()


def loan_statement(
    head: Letterhead,
    loan: dict[str, Any],
    member: dict[str, Any],
    product_name: str,
    installments: list[dict[str, Any]],
    repayments: list[dict[str, Any]],
    payload: str,
) -> bytes:
    page = head.page("Jadwal dan Riwayat Angsuran Pinjaman")
    fee = int(loan.get("admin_fee") or 0)
    page.rows(
        [
            ("Kode pinjaman", loan["code"]),
            ("Anggota", f"{member['number']} - {member['name']}"),
            ("Jenis pinjaman", product_name),
            ("Status", STATUS.get(loan["status"], loan["status"])),
            ("Jangka waktu", f"{loan['tenor']} bulan"),
            ("Tanggal pencairan", day(loan.get("disbursement_date"))),
            ("Biaya administrasi", rupiah(fee)),
            ("Diterima anggota", rupiah(loan["amount"] - fee)),
            ("Sisa pokok", rupiah(int(loan.get("outstanding") or 0))),
        ]
    )
    page.amount("Jumlah pinjaman", loan["amount"], terbilang(loan["amount"]))
    page.heading("Jadwal angsuran")
    page.table(
        ["Ke", "Jatuh tempo", "Pokok", "Bunga", "Angsuran", "Dibayar", "Sisa pokok"],
        [
            (
                i["number"],
                day(i["due_date"]),
                rupiah(i["principal"]),
                rupiah(i["interest"]),
                rupiah(i["amount"]),
                rupiah(i["paid"]),
                rupiah(i["remaining"]),
            )
            for i in installments
        ],
        [8, 22, 22, 20, 22, 22, 24],
        "CLRRRRR",
        empty="Jadwal ditetapkan saat pinjaman dicairkan.",
    )
    page.heading("Riwayat pembayaran")
    page.table(
        ["Tanggal", "Sumber", "Jumlah", "Pokok", "Bunga"],
        [
            (
                when(r.get("created_at"), tz=head.tz),
                r.get("source", ""),
                rupiah(r["amount"]),
                rupiah(r.get("principal", 0)),
                rupiah(r.get("interest", 0)),
            )
            for r in repayments
        ],
        [34, 22, 24, 24, 24],
        "LLRRR",
        empty="Belum ada pembayaran.",
    )
    page.qr(payload, QR_CAPTION)
    return page.output()


def cash_report(
    head: Letterhead,
    officer: dict[str, Any],
    report_day: str,
    items: list[dict[str, Any]],
    payload: str,
) -> bytes:
    page = head.page("Laporan Kas Harian Petugas")
    total = sum(i["amount"] for i in items)
    verified = sum(i["amount"] for i in items if i["status"] == "verified")
    pending = sum(i["amount"] for i in items if i["status"] == "unverified")
    page.rows(
        [
            ("Petugas", f"{officer['name']} ({officer['username']})"),
            ("Tanggal", day(report_day)),
            ("Jumlah transaksi", str(len(items))),
            ("Sudah diverifikasi", rupiah(verified)),
            ("Belum diverifikasi", rupiah(pending)),
        ]
    )
    page.heading("Setoran tunai yang diterima")
    page.table(
        ["Waktu", "Kode", "Anggota", "Simpanan", "Status", "Jumlah"],
        [
            (
                when(i["created_at"], tz=head.tz)[11:],
                i["code"],
                f"{i['member_number']} {i['member_name']}",
                i["savings_type"],
                STATUS.get(i["status"], i["status"]),
                rupiah(i["amount"]),
            )
            for i in items
        ],
        [18, 28, 44, 18, 26, 24],
        "LLLLLR",
    )
    page.amount("Total kas diterima", total, terbilang(total))
    page.signatures("Petugas", "Diperiksa oleh")
    page.qr(payload, QR_CAPTION)
    return page.output()
