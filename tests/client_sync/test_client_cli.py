"""The officer CLI offline: amounts, setor/tertunda/kas/anggota/status, exit codes, Indonesian text."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from cs_support import closed_url, seed_profile

from client_sync import AmountError, SyncClient, format_rupiah, parse_amount
from client_sync.cli import DB_NAME, main


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("150000", 150_000),
        ("150.000", 150_000),
        ("1.250.000", 1_250_000),
        ("Rp150.000", 150_000),
        ("Rp 75.000", 75_000),
        ("1", 1),
        ("999", 999),
    ],
)
def test_amounts_accepted(text: str, value: int) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("150,5", "tanpa desimal"),
        ("150.000,00", "tanpa desimal"),
        ("1.5", "tanpa desimal"),
        ("150.00", "tanpa desimal"),
        ("-5000", "negatif"),
        ("0", "lebih dari nol"),
        ("abc", "tidak dikenali"),
        ("1.2345", "tanpa desimal"),
        ("", "tidak dikenali"),
    ],
)
def test_amounts_refused_in_indonesian(text: str, message: str) -> None:
    with pytest.raises(AmountError, match=message):
        parse_amount(text)


def test_rupiah_format() -> None:
    assert format_rupiah(1_250_000) == "Rp1.250.000" and format_rupiah(0) == "Rp0" and format_rupiah(-500) == "-Rp500"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with SyncClient(tmp_path / DB_NAME, closed_url()) as client:
        seed_profile(client)
    return tmp_path


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--data-dir", str(data_dir), *args], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_setor_queues_offline_and_shows_as_pending(data_dir: Path) -> None:
    code, out, _ = run(data_dir, "setor", "A0001", "150.000", "--catatan", "arisan")
    assert code == 0 and "TERTUNDA" in out and "Rp150.000" in out and "Budi Santoso" in out
    code, out, _ = run(data_dir, "setor", "2", "20000", "--jenis", "wajib")
    assert code == 0 and "#2" in out and "Siti Aminah" in out
    code, out, _ = run(data_dir, "tertunda")
    assert code == 0 and "2 transaksi tertunda" in out and "belum terkirim" in out and "Rp20.000" in out
    code, out, _ = run(data_dir, "kas")
    assert code == 0 and "Rp245.000" in out and "2 setoran belum tersinkron (Rp170.000)" in out
    code, out, _ = run(data_dir, "status")
    assert code == 0 and "Tertunda        : 2" in out and "Rudi Hartono" in out


@pytest.mark.parametrize("amount", ["150,5", "-5000", "0", "sejuta"])
def test_setor_refuses_bad_amounts_with_exit_code_2(data_dir: Path, amount: str) -> None:
    code, out, err = run(data_dir, "setor", "A0001", amount)
    assert code == 2 and out == "" and "Jumlah" in err
    assert run(data_dir, "tertunda")[1].startswith("Tidak ada transaksi tertunda")


def test_setor_unknown_member_or_foreign_location(data_dir: Path) -> None:
    code, _, err = run(data_dir, "setor", "Z999", "1000")
    assert code == 1 and "tidak ditemukan" in err
    code, _, err = run(data_dir, "setor", "A0001", "1000", "--lokasi", "2")
    assert code == 2 and "bukan petugas lokasi 2" in err


def test_anggota_searches_the_replica(data_dir: Path) -> None:
    code, out, _ = run(data_dir, "anggota", "siti")
    assert code == 0 and "A0002" in out and "Simpanan Sukarela: Rp600.000" in out
    code, out, _ = run(data_dir, "anggota", "tidak-ada")
    assert code == 0 and "Tidak ada anggota" in out


def test_commands_need_a_login(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "kas")
    assert code == 1 and "Belum masuk" in err
    code, out, _ = run(tmp_path, "status")
    assert code == 0 and "belum masuk" in out


def test_sync_offline_fails_cleanly_and_keeps_the_queue(data_dir: Path) -> None:
    run(data_dir, "setor", "A0001", "10000")
    code, out, err = run(data_dir, "sync")
    assert code == 1 and "Gagal" in err and "akan dicoba lagi" in err
    assert "Mengirim 1 transaksi…" in out and "Masih tertunda: 1" in out


def test_usage_errors_exit_2(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["--data-dir", str(data_dir), "setor", "A0001", "1000", "--jenis", "emas"])
    assert caught.value.code == 2 and "kesalahan" in capsys.readouterr().err
