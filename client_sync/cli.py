"""``lumbung-officer``: the field officer's command-line tool, in Bahasa Indonesia.

Everything but ``login`` and ``sync`` works offline from the device database; ``setor`` and
``angsuran`` only queue; ``simulasi`` computes the schedule on the device with the server's own rules.
Exit codes: 0 done, 1 failed (not logged in, server unreachable, member unknown), 2 bad input.

``anggota``, ``tertunda``, ``kas`` and ``status`` take ``--json``: one JSON document on stdout with
stable keys (amounts in whole rupiah), for scripts. The device database lives in ``--data-dir``, else
``LUMBUNG_OFFICER_DIR``, else ``~/.lumbung`` (never the server's ``LUMBUNG_DATA_DIR``: an officer
running both on one laptop must not mix them).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO
from zoneinfo import ZoneInfo

import msgspec

from server.domain.loans import admin_fee, percent
from server.domain.schedule import Schedule
from server.protocol import (
    DeductionChangeCancel,
    DeductionChangeCreate,
    DepositCancel,
    DepositCreate,
    DepositReject,
    DepositVerify,
    LoanApply,
    LoanApprove,
    LoanCancel,
    LoanDisburse,
    LoanReject,
    LoanRepay,
    ReportCreate,
    UserInfo,
    WithdrawalCancel,
    WithdrawalCreate,
    WithdrawalReject,
    WithdrawalVerify,
)

from .amounts import AmountError, format_rupiah, parse_amount
from .client import SyncClient
from .coop_time import coop_when
from .errors import (
    UPDATE_REQUIRED_MESSAGE,
    InvalidCredentials,
    InvalidMutation,
    ProtocolMismatch,
    RuleViolation,
    SyncError,
)
from .models import LoanView, MemberView, QueuedItem, SyncSummary

__all__ = ["main", "build_parser", "DB_NAME", "DIR_VARIABLE", "default_data_dir"]

DB_NAME = "petugas.sqlite3"
DIR_VARIABLE = "LUMBUNG_OFFICER_DIR"
SAVINGS_TYPES = ("sukarela", "wajib", "pokok")
EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def default_data_dir() -> Path:
    """``LUMBUNG_OFFICER_DIR`` or ``~/.lumbung``: the device's own folder, apart from any server's data."""
    return Path(os.environ.get(DIR_VARIABLE) or Path.home() / ".lumbung")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: kesalahan: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lumbung-officer", description="Alat petugas Lumbung: catat setoran di lapangan, kirim saat online."
    )
    parser.add_argument(
        "--data-dir", type=Path, default=None, help=f"folder data lokal (bawaan: {DIR_VARIABLE} atau ~/.lumbung)"
    )
    parser.add_argument("--server", default=None, help="alamat server, mis. http://127.0.0.1:8000 (diingat)")
    sub = parser.add_subparsers(dest="command", metavar="PERINTAH", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("login", help="masuk (perlu koneksi)")
    p.add_argument("username", metavar="USERNAME")
    p.add_argument("--password", default=None, help="kata sandi (ditanyakan bila tidak diberikan)")

    sub.add_parser("logout", help="keluar; transaksi tertunda tetap disimpan")

    p = sub.add_parser("anggota", help="cari anggota di data lokal (offline)")
    p.add_argument("cari", metavar="CARI", nargs="?", default=None, help="sebagian nama atau nomor anggota")
    _json_flag(p)

    p = sub.add_parser("setor", help="catat setoran tunai (offline; dikirim saat sync)")
    p.add_argument("anggota", metavar="NOMOR_ATAU_ID")
    p.add_argument("jumlah", metavar="JUMLAH", help="rupiah bulat, mis. 150000 atau 150.000")
    p.add_argument("--jenis", choices=SAVINGS_TYPES, default="sukarela", help="jenis simpanan (bawaan: sukarela)")
    p.add_argument("--catatan", default="", help="catatan")
    p.add_argument("--lokasi", type=int, default=None, help="id lokasi (bawaan: lokasi anggota/petugas)")

    p = sub.add_parser("angsuran", help="catat angsuran pinjaman tunai (offline; dikirim saat sync)")
    p.add_argument("pinjaman", metavar="KODE_ATAU_ID", help="kode pinjaman (mis. PJM-2610-000001) atau id")
    p.add_argument("jumlah", metavar="JUMLAH", help="rupiah bulat, mis. 840000 atau 840.000")

    p = sub.add_parser("simulasi", help="simulasi jadwal angsuran pinjaman (offline)")
    p.add_argument("produk", metavar="PRODUK", help="id atau nama produk pinjaman")
    p.add_argument("jumlah", metavar="JUMLAH", help="jumlah pinjaman, mis. 9.000.000")
    p.add_argument("tenor", metavar="TENOR", type=int, help="jangka waktu dalam bulan")
    p.add_argument("--mulai", default=None, metavar="YYYY-MM-DD", help="tanggal pencairan (bawaan: hari ini)")

    _json_flag(sub.add_parser("tertunda", help="daftar transaksi yang belum terkonfirmasi"))
    _json_flag(sub.add_parser("kas", help="kas di tangan (setoran tunai belum diverifikasi)"))
    sub.add_parser("sync", help="kirim transaksi tertunda dan tarik perubahan")
    _json_flag(sub.add_parser("status", help="status sinkronisasi"))
    return parser


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="cetak satu dokumen JSON (untuk skrip)")


# --- presentation -----------------------------------------------------------------------------


def _when(iso: str | None, tz: ZoneInfo) -> str:
    """A stored instant in the cooperative's zone, as every date a person sees."""
    if not iso:
        return "belum pernah"
    try:
        return coop_when(iso, tz)
    except ValueError:
        return iso


def _member_label(members: dict[int, MemberView], member_id: int) -> str:
    m = members.get(member_id)
    return f"{m.number} {m.name}" if m else f"anggota #{member_id}"


def describe(item: QueuedItem, members: dict[int, MemberView], loan_codes: dict[str, str] | None = None) -> str:
    """One line for an outbox item, as an officer would say it."""
    op = item.op
    codes = loan_codes or {}
    if isinstance(op, DepositCreate):
        kind = "tunai" if op.kind == "offline" else "mandiri"
        who = _member_label(members, op.member_id)
        return f"setoran {kind} {format_rupiah(op.amount)} simpanan {op.savings_type} — {who}"
    if isinstance(op, WithdrawalCreate):
        who = _member_label(members, op.member_id)
        return f"penarikan {format_rupiah(op.amount)} simpanan {op.savings_type} — {who}"
    if isinstance(op, LoanApply):
        who = _member_label(members, op.member_id)
        return f"pengajuan pinjaman {format_rupiah(op.amount)} {op.tenor} bulan — {who}"
    if isinstance(op, LoanRepay):
        return f"angsuran tunai {format_rupiah(op.amount)} pinjaman {codes.get(op.loan_id) or op.loan_id[:8]}"
    if isinstance(op, DeductionChangeCreate):
        who = _member_label(members, op.member_id)
        return f"perubahan setoran {op.savings_type} potong gaji menjadi {format_rupiah(op.new_amount)} — {who}"
    if isinstance(op, ReportCreate):
        return f"laporan masalah: {op.description[:50]}"
    labels = {
        DepositCancel: "batalkan setoran",
        DepositVerify: "verifikasi setoran",
        DepositReject: "tolak setoran",
        WithdrawalCancel: "batalkan penarikan",
        WithdrawalVerify: "verifikasi penarikan",
        WithdrawalReject: "tolak penarikan",
        LoanCancel: "batalkan pinjaman",
        LoanApprove: "setujui pinjaman",
        LoanReject: "tolak pinjaman",
        LoanDisburse: "pencairan pinjaman",
        DeductionChangeCancel: "batalkan perubahan setoran",
    }
    loan_id = getattr(op, "loan_id", None)
    if loan_id is not None:
        return f"{labels.get(type(op), item.name)} {codes.get(loan_id) or loan_id[:8]}"
    target = getattr(op, "deposit_id", None) or getattr(op, "withdrawal_id", None) or getattr(op, "change_id", "")
    return f"{labels.get(type(op), item.name)} {str(target)[:8]}"


def _state_label(item: QueuedItem) -> str:
    if item.state == "pending":
        return "belum terkirim"
    if item.state == "applied":
        return "diterima server, menunggu pembaruan"
    return "ditolak"


class _Out:
    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def fail(self, text: str) -> None:
        print(text, file=self.err, flush=True)

    def json(self, value: Any) -> None:
        """One JSON document: structs as their fields, dates as ISO text, keys sorted."""
        print(
            json.dumps(msgspec.to_builtins(value), ensure_ascii=False, indent=2, sort_keys=True),
            file=self.out,
            flush=True,
        )


def _item_json(item: QueuedItem, members: dict[int, MemberView], codes: dict[str, str]) -> dict[str, Any]:
    """An outbox item for scripts: its fields, the mutation's arguments and the line a person reads."""
    fields: dict[str, Any] = msgspec.to_builtins(item)
    fields["description"] = describe(item, members, codes)
    fields["state_label"] = _state_label(item)
    return fields


# --- commands ---------------------------------------------------------------------------------


def _members_by_id(client: SyncClient) -> dict[int, MemberView]:
    return {m.id: m for m in client.members()}


def _loan_codes(client: SyncClient) -> dict[str, str]:
    return {v.id: v.code for v in client.loans() if v.code}


def _date(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


def _number(amount: int) -> str:
    """1250000 -> "1.250.000" (table cells; the header says the unit)."""
    return f"{amount:,}".replace(",", ".")


def _loan_line(v: LoanView) -> str:
    name = v.code or "(belum tersinkron)"
    text = f"Pinjaman {name} {v.product_name}: {v.status_label}, {format_rupiah(v.amount)} {v.tenor} bulan"
    if v.status == "active":
        text += f", sisa pokok {format_rupiah(v.outstanding)}, angsuran {format_rupiah(v.monthly_installment)}/bulan"
    if v.pending_repayments:
        text += f" (angsuran tertunda {format_rupiah(v.pending_repayments)})"
    return text


def _need_login(client: SyncClient, io: _Out) -> bool:
    if client.user is None:
        io.fail("Belum masuk. Jalankan: lumbung-officer --server URL login USERNAME")
        return False
    return True


def _run_sync(client: SyncClient, io: _Out) -> int:
    def progress(stage: str, count: int) -> None:
        if stage == "push":
            io.say(f"Mengirim {count} transaksi…")
        elif stage == "upload":
            io.say(f"Mengunggah lampiran {count}…")
        elif stage == "pull":
            io.say(f"Menarik perubahan… {count}")

    summary: SyncSummary = client.sync_once(progress)
    if summary.resets:
        io.say("Data lokal dimuat ulang dari server.")
    if summary.recovered_from is not None:
        io.say(f"Antrean dikirim ulang mulai nomor {summary.recovered_from} sesuai permintaan server.")
    io.say(f"Selesai: {summary.applied} diterima, {len(summary.rejected)} ditolak, {summary.pulled} perubahan ditarik.")
    if summary.rejected:
        members = _members_by_id(client)
        io.say("Transaksi ditolak server:")
        for item in summary.rejected:
            io.say(f"  #{item.id} {describe(item, members)}")
            io.say(f"      alasan: {item.message or '-'} [{item.code or '-'}]")
    for error in summary.errors:
        io.fail(f"Gagal: {error.message}" + (" (akan dicoba lagi)" if error.retryable else ""))
    status = client.status()
    if status.needs_update:
        io.fail(UPDATE_REQUIRED_MESSAGE)
    if status.unsent:
        io.say(f"Masih tertunda: {status.unsent} transaksi belum terkirim.")
    return EXIT_OK if summary.ok else EXIT_FAIL


def cmd_login(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    if not client.base_url:
        io.fail("Alamat server belum diatur. Gunakan: lumbung-officer --server URL login USERNAME")
        return EXIT_USAGE
    password = args.password if args.password is not None else getpass.getpass("Kata sandi: ")
    if not password:
        io.fail("Kata sandi wajib diisi.")
        return EXIT_USAGE
    try:
        user = client.login(args.username, password)
    except InvalidCredentials:
        io.fail("Nama pengguna atau kata sandi salah.")
        return EXIT_FAIL
    except ProtocolMismatch:
        io.fail(UPDATE_REQUIRED_MESSAGE)
        return EXIT_FAIL
    except SyncError as exc:
        io.fail(f"Gagal masuk: {exc.message}")
        return EXIT_FAIL
    locations = ", ".join(str(i) for i in user.location_ids) or "-"
    io.say(f"Berhasil masuk sebagai {user.name} ({user.role}), lokasi: {locations}.")
    if user.role != "petugas":
        io.say("Catatan: pencatatan setoran tunai (setor) hanya untuk petugas.")
    return _run_sync(client, io)


def cmd_logout(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    status = client.status()
    if client.user is None:
        io.say("Tidak ada pengguna yang masuk.")
        return EXIT_OK
    client.logout()
    io.say("Anda telah keluar.")
    if status.unsent:
        io.say(f"{status.unsent} transaksi tertunda tetap tersimpan dan dikirim saat Anda masuk lagi.")
    return EXIT_OK


def cmd_anggota(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    if not _need_login(client, io):
        return EXIT_FAIL
    members = client.members(args.cari)
    if args.json:
        io.json(
            {
                "query": args.cari,
                "members": [
                    {**msgspec.to_builtins(m), "balances": client.balances(m.id), "loans": client.loans(m.id)}
                    for m in members
                ],
            }
        )
        return EXIT_OK
    if not members:
        if not client.members():
            io.say("Belum ada data anggota di perangkat ini; jalankan 'lumbung-officer sync' saat online.")
        else:
            io.say(f"Tidak ada anggota yang cocok dengan '{args.cari}'.")
        return EXIT_OK
    io.say(f"{'No. Anggota':<14} {'ID':>4}  {'Nama':<30} Lokasi")
    for m in members:
        flag = "" if m.active else "  (nonaktif)"
        io.say(f"{m.number:<14} {m.id:>4}  {m.name:<30} {m.location_id}{flag}")
    if len(members) == 1:
        for b in client.balances(members[0].id):
            extra = []
            if b.held or b.pending_withdrawals:
                extra.append(f"tersedia {format_rupiah(b.available)}")
            if b.pending_deposits:
                extra.append(f"setoran menunggu verifikasi {format_rupiah(b.pending_deposits)}")
            tail = f" ({'; '.join(extra)})" if extra else ""
            io.say(f"  {b.name}: {format_rupiah(b.balance)}{tail}")
        for loan in client.loans(members[0].id):
            if loan.status not in ("rejected", "cancelled", "paid_off"):
                io.say(f"  {_loan_line(loan)}")
    return EXIT_OK


def _officer_cash(client: SyncClient, args: argparse.Namespace, io: _Out, what: str) -> tuple[int, UserInfo] | int:
    """The amount typed and the logged-in officer, or the exit code that explains why not."""
    try:
        amount = parse_amount(args.jumlah)
    except AmountError as exc:
        io.fail(str(exc))
        return EXIT_USAGE
    if not _need_login(client, io):
        return EXIT_FAIL
    user = client.user
    assert user is not None
    if user.role != "petugas":
        io.fail(f"{what} tunai hanya dapat dicatat oleh petugas.")
        return EXIT_FAIL
    return amount, user


def cmd_setor(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    checked = _officer_cash(client, args, io, "Setoran")
    if isinstance(checked, int):
        return checked
    amount, user = checked
    member = client.member(args.anggota)
    if member is None:
        io.fail(
            f"Anggota '{args.anggota}' tidak ditemukan di data lokal. Cari dengan 'lumbung-officer anggota NAMA' "
            "atau jalankan 'lumbung-officer sync' saat online."
        )
        return EXIT_FAIL
    if args.lokasi is not None:
        location = args.lokasi
        if location not in user.location_ids:
            io.fail(f"Anda bukan petugas lokasi {location}.")
            return EXIT_USAGE
    elif member.location_id in user.location_ids:
        location = member.location_id
    elif len(user.location_ids) == 1:
        location = user.location_ids[0]
    else:
        io.fail("Pilih lokasi dengan --lokasi ID.")
        return EXIT_USAGE
    op = DepositCreate(
        deposit_id=client.new_id(),
        member_id=member.id,
        savings_type=args.jenis,
        kind="offline",
        amount=amount,
        location_id=location,
        note=args.catatan or "",
    )
    try:
        item = client.queue(op)
    except InvalidMutation as exc:
        io.fail(str(exc))
        return EXIT_USAGE
    io.say(
        f"Setoran #{item.id} dicatat — TERTUNDA: {format_rupiah(amount)} simpanan {args.jenis} untuk "
        f"{member.number} {member.name} (lokasi {location})."
    )
    io.say("Akan dikirim saat sinkronisasi: lumbung-officer sync")
    return EXIT_OK


def cmd_angsuran(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    checked = _officer_cash(client, args, io, "Angsuran")
    if isinstance(checked, int):
        return checked
    amount, _user = checked
    try:
        item = client.repay_loan(args.pinjaman, amount)
    except RuleViolation as exc:
        if exc.code == "loan_not_found":
            io.fail(
                f"Pinjaman '{args.pinjaman}' tidak ditemukan di data lokal. Lihat pinjaman anggota dengan "
                "'lumbung-officer anggota NOMOR' atau jalankan 'lumbung-officer sync' saat online."
            )
            return EXIT_FAIL
        io.fail(exc.message)
        return EXIT_USAGE if exc.code in ("repayment_exceeds_due", "amount_not_positive") else EXIT_FAIL
    except InvalidMutation as exc:
        io.fail(str(exc))
        return EXIT_USAGE
    detail = client.loan_detail(item.op.loan_id)  # type: ignore[union-attr]  # repay_loan queues a LoanRepay
    assert detail is not None
    loan = detail.loan
    member = client.member(loan.member_id)
    who = f"{member.number} {member.name}" if member else f"anggota #{loan.member_id}"
    io.say(f"Angsuran #{item.id} dicatat — TERTUNDA: {format_rupiah(amount)} untuk pinjaman {loan.code} ({who}).")
    upcoming = detail.next_installment
    if upcoming is None:
        io.say("Setelah pembayaran ini pinjaman LUNAS.")
    else:
        io.say(
            f"Sisa tagihan: {format_rupiah(detail.total_due)}; angsuran berikutnya ke-{upcoming.number}, "
            f"jatuh tempo {_date(upcoming.due_date)}, kurang {format_rupiah(upcoming.due)}."
        )
    io.say("Akan dikirim saat sinkronisasi: lumbung-officer sync")
    return EXIT_OK


_ROUNDING = {"half_up": "terdekat", "up": "ke atas", "down": "ke bawah"}


def schedule_table(schedule: Schedule) -> list[str]:
    """The schedule as the officer shows it to a member (amounts in rupiah)."""
    head = (
        f"{'Angsuran ke':>11}  {'Jatuh tempo':<11}  {'Pokok':>13}  {'Bunga':>13}  {'Angsuran':>13}"
        f"  {'Sisa pinjaman':>13}"
    )
    lines = [head, "-" * len(head)]
    for i in schedule.installments:
        lines.append(
            f"{i.number:>11}  {_date(i.due_date):<11}  {_number(i.principal):>13}  {_number(i.interest):>13}"
            f"  {_number(i.amount):>13}  {_number(i.remaining):>13}"
        )
    lines.append("-" * len(head))
    lines.append(
        f"{'Jumlah':<24}  {_number(schedule.total_principal):>13}  {_number(schedule.total_interest):>13}"
        f"  {_number(schedule.total_amount):>13}"
    )
    return lines


def cmd_simulasi(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    try:
        amount = parse_amount(args.jumlah)
    except AmountError as exc:
        io.fail(str(exc))
        return EXIT_USAGE
    if args.tenor < 1:
        io.fail("Jangka waktu harus minimal 1 bulan.")
        return EXIT_USAGE
    try:
        start = dt.date.fromisoformat(args.mulai) if args.mulai else None
    except ValueError:
        io.fail(f"Tanggal tidak dikenali: {args.mulai!r}. Tulis YYYY-MM-DD, contoh: 2026-01-15.")
        return EXIT_USAGE
    if not _need_login(client, io):
        return EXIT_FAIL
    product = client.loan_product(args.produk)
    if product is None:
        products = client.loan_products()
        if not products:
            io.fail("Belum ada data produk pinjaman di perangkat ini; jalankan 'lumbung-officer sync' saat online.")
        else:
            io.fail(f"Produk '{args.produk}' tidak ditemukan. Produk yang ada:")
            for p in products:
                io.fail(f"  {p.id:>3}  {p.name}" + ("" if p.active else " (tidak tersedia)"))
        return EXIT_FAIL
    try:
        schedule = client.simulate_loan(product.id, amount, args.tenor, start)
    except RuleViolation as exc:
        io.fail(exc.message)
        return EXIT_USAGE
    rounding = (
        f"pembulatan {_ROUNDING.get(product.rounding_mode, product.rounding_mode)} ke "
        f"{format_rupiah(product.rounding_multiple)}"
    )
    io.say(
        f"Simulasi Pinjaman — {product.name} (bunga {product.method} {percent(product.annual_rate_bp)} per tahun, "
        f"{rounding})"
    )
    io.say(
        f"Jumlah pinjaman {format_rupiah(amount)}, jangka waktu {args.tenor} bulan, "
        f"tanggal pencairan {_date(schedule.start_date)}. Angka dalam rupiah."
    )
    io.say()
    for line in schedule_table(schedule):
        io.say(line)
    io.say()
    io.say(f"Angsuran terbesar per bulan: {format_rupiah(schedule.max_installment)}")
    fee = admin_fee(product, amount)
    if fee:
        io.say(f"Biaya administrasi: {format_rupiah(fee)} (diterima bersih {format_rupiah(amount - fee)})")
    if not product.active:
        io.say("Catatan: produk ini sudah tidak tersedia untuk pengajuan baru.")
    if not product.min_amount <= amount <= product.max_amount:
        io.say(
            f"Catatan: jumlah di luar batas produk ({format_rupiah(product.min_amount)} – "
            f"{format_rupiah(product.max_amount)})."
        )
    if not product.min_tenor <= args.tenor <= product.max_tenor:
        io.say(f"Catatan: jangka waktu di luar batas produk ({product.min_tenor} – {product.max_tenor} bulan).")
    return EXIT_OK


def cmd_tertunda(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    if not _need_login(client, io):
        return EXIT_FAIL
    items = client.pending()
    if args.json:
        members, codes = _members_by_id(client), _loan_codes(client)
        io.json({"pending": [_item_json(i, members, codes) for i in items], "rejected": client.status().rejected})
        return EXIT_OK
    if not items:
        io.say("Tidak ada transaksi tertunda.")
    else:
        members, codes = _members_by_id(client), _loan_codes(client)
        io.say(f"{len(items)} transaksi tertunda:")
        for item in items:
            io.say(f"  #{item.id} {describe(item, members, codes)} [{_state_label(item)}]")
    rejected = client.status().rejected
    if rejected:
        io.say(f"{rejected} transaksi ditolak server; lihat alasannya dengan 'lumbung-officer status'.")
    return EXIT_OK


def cmd_kas(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    if not _need_login(client, io):
        return EXIT_FAIL
    cash = client.cash_in_hand()
    if args.json:
        io.json(cash)
        return EXIT_OK
    io.say(f"Kas di tangan: {format_rupiah(cash.total)} dari {cash.count} setoran tunai belum diverifikasi.")
    if cash.unsynced_count:
        io.say(f"  termasuk {cash.unsynced_count} setoran belum tersinkron ({format_rupiah(cash.unsynced_total)}).")
    return EXIT_OK


def cmd_sync(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    if not _need_login(client, io):
        return EXIT_FAIL
    return _run_sync(client, io)


def cmd_status(client: SyncClient, args: argparse.Namespace, io: _Out) -> int:
    status = client.status()
    if args.json:
        members, codes = _members_by_id(client), _loan_codes(client)
        rejected = client.rejected(limit=20) if status.rejected else []
        io.json(
            {
                **msgspec.to_builtins(status),
                "device_name": client.device_name,
                "rejected_items": [_item_json(i, members, codes) for i in rejected],
            }
        )
        return EXIT_OK
    user = status.user
    io.say(f"Pengguna        : {f'{user.name} ({user.username}, {user.role})' if user else 'belum masuk'}")
    io.say(f"Server          : {status.server_url or '-'}")
    io.say(f"Perangkat       : {client.device_name}")
    io.say(f"Tertunda        : {status.pending} (belum terkirim: {status.unsent})")
    io.say(f"Ditolak         : {status.rejected}")
    io.say(f"Sinkron terakhir: {_when(status.last_sync_at, client.coop_zone)}")
    if status.last_error is not None:
        io.say(f"Kendala terakhir: {status.last_error.message}")
    if status.needs_update:
        io.say(f"PERHATIAN: {UPDATE_REQUIRED_MESSAGE}")
    if user is not None and status.needs_login:
        io.say("Sesi berakhir: jalankan 'lumbung-officer login USERNAME' (transaksi tertunda tetap aman).")
    if status.other_users_pending:
        io.say(f"{status.other_users_pending} transaksi pengguna lain di perangkat ini menunggu pengguna itu masuk.")
    if status.rejected:
        members, codes = _members_by_id(client), _loan_codes(client)
        io.say("Transaksi ditolak:")
        for item in client.rejected(limit=20):
            io.say(f"  #{item.id} {describe(item, members, codes)} — {item.message or '-'} [{item.code or '-'}]")
    return EXIT_OK


COMMANDS = {
    "login": cmd_login,
    "logout": cmd_logout,
    "anggota": cmd_anggota,
    "setor": cmd_setor,
    "angsuran": cmd_angsuran,
    "simulasi": cmd_simulasi,
    "tertunda": cmd_tertunda,
    "kas": cmd_kas,
    "sync": cmd_sync,
    "status": cmd_status,
}


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the CLI; returns the exit code (console scripts pass it to ``sys.exit``)."""
    args = build_parser().parse_args(argv)
    io = _Out(out or sys.stdout, err or sys.stderr)
    data_dir: Path = args.data_dir or default_data_dir()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        client = SyncClient(data_dir / DB_NAME, args.server)
    except Exception as exc:  # noqa: BLE001 - an unreadable or newer database: say so instead of a traceback
        io.fail(f"Data lokal tidak dapat dibuka: {exc}")
        return EXIT_FAIL
    with client:
        return COMMANDS[args.command](client, args, io)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
