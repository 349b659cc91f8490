"""The shared schedule vectors (tests/vectors/loan_schedules.json): Python must reproduce every case.

The PWA's JavaScript suite reads the same file, so both implementations agree bit for bit. The file is
generated from ``CASES`` below (``python tests/domain/test_schedule_vectors.py --write``) and then
checked in; the worked examples of the issue are also asserted by hand in test_schedule.py, so a
regenerated file cannot silently change them.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import msgspec
import pytest

if __name__ == "__main__":  # run as a script: make ``server`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server.domain.schedule import ScheduleError, ScheduleTerms, build_schedule

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "loan_schedules.json"

# (name, terms, start_date, description)
CASES: list[tuple[str, dict, str, str]] = [
    ("flat_worked_example", dict(principal=9_000_000, tenor=12, annual_rate_bp=1200, method="flat"), "2026-01-15",
     "Issue example: flat 9.000.000 at 1 % a month for 12 months -> 840.000 (750.000 + 90.000)."),
    ("efektif_worked_example", dict(principal=120_000_000, tenor=12, annual_rate_bp=1000, method="efektif"), "2026-01-15",
     "Issue example: efektif 120.000.000 at 10 % a year -> 11.000.000, 10.916.667, ..., 10.083.333."),
    ("anuitas_120m_10pct_12", dict(principal=120_000_000, tenor=12, annual_rate_bp=1000, method="anuitas"), "2026-01-15",
     "Anuitas counterpart of the efektif example."),
    ("anuitas_25m_12pct_36_up_1000", dict(principal=25_000_000, tenor=36, annual_rate_bp=1200, method="anuitas",
     rounding_mode="up", rounding_multiple=1000), "2026-03-10", "Anuitas rounded up to Rp1.000."),
    ("anuitas_10m_15pct_24_down_100", dict(principal=10_000_000, tenor=24, annual_rate_bp=1500, method="anuitas",
     rounding_mode="down", rounding_multiple=100), "2026-06-05", "Anuitas rounded down to Rp100: the last installment is larger."),
    ("anuitas_50m_13_75pct_60_half_up_1000", dict(principal=50_000_000, tenor=60, annual_rate_bp=1375, method="anuitas",
     rounding_mode="half_up", rounding_multiple=1000), "2026-02-01", "Long anuitas with an odd rate (large exact fractions)."),
    ("flat_7_5m_18pct_10_up_1000", dict(principal=7_500_000, tenor=10, annual_rate_bp=1800, method="flat",
     rounding_mode="up", rounding_multiple=1000), "2026-04-20", "Flat rounded up to Rp1.000."),
    ("flat_5m_9pct_7_down_100", dict(principal=5_000_000, tenor=7, annual_rate_bp=900, method="flat",
     rounding_mode="down", rounding_multiple=100), "2026-05-31", "Flat rounded down to Rp100, month-end start."),
    ("flat_1_234_567_11pct_9_half_up_100", dict(principal=1_234_567, tenor=9, annual_rate_bp=1100, method="flat",
     rounding_mode="half_up", rounding_multiple=100), "2026-07-14", "Flat, odd principal, half up to Rp100."),
    ("efektif_20m_18pct_24_up_1000", dict(principal=20_000_000, tenor=24, annual_rate_bp=1800, method="efektif",
     rounding_mode="up", rounding_multiple=1000), "2026-08-31", "Efektif rounded up to Rp1.000, 31 Aug start (30 Sep, 31 Oct, ...)."),
    ("efektif_3_333_333_12pct_7_down_100", dict(principal=3_333_333, tenor=7, annual_rate_bp=1200, method="efektif",
     rounding_mode="down", rounding_multiple=100), "2026-12-31", "Efektif rounded down to Rp100, 31 Dec start crosses the year."),
    ("efektif_10m_12pct_6_half_up_100", dict(principal=10_000_000, tenor=6, annual_rate_bp=1200, method="efektif",
     rounding_mode="half_up", rounding_multiple=100), "2026-01-01", "Efektif half up to Rp100."),
    ("rate_zero_flat", dict(principal=1_000_000, tenor=3, annual_rate_bp=0, method="flat"), "2026-01-15",
     "Rate 0: principal / tenor, last absorbs the remainder (333.333, 333.333, 333.334)."),
    ("rate_zero_efektif_up_1000", dict(principal=1_000_000, tenor=3, annual_rate_bp=0, method="efektif",
     rounding_mode="up", rounding_multiple=1000), "2026-01-15", "Rate 0 rounded up to Rp1.000 (334.000, 334.000, 332.000)."),
    ("rate_zero_anuitas_down_100", dict(principal=1_000_000, tenor=3, annual_rate_bp=0, method="anuitas",
     rounding_mode="down", rounding_multiple=100), "2026-01-15", "Rate 0 anuitas rounded down to Rp100."),
    ("tenor_one_flat", dict(principal=5_000_000, tenor=1, annual_rate_bp=1200, method="flat",
     rounding_mode="up", rounding_multiple=1000), "2026-01-31", "Tenor 1: the only installment is the last, not rounded to the multiple."),
    ("tenor_one_efektif", dict(principal=1_000_001, tenor=1, annual_rate_bp=1000, method="efektif"), "2026-01-31",
     "Tenor 1 efektif: interest 8.333,34 -> 8.333."),
    ("tenor_one_anuitas", dict(principal=2_500_000, tenor=1, annual_rate_bp=1800, method="anuitas",
     rounding_mode="down", rounding_multiple=100), "2026-01-31", "Tenor 1 anuitas: principal + one month's interest."),
    ("month_end_jan_31_leap", dict(principal=6_000_000, tenor=4, annual_rate_bp=1200, method="flat"), "2028-01-31",
     "31 Jan 2028 -> 29 Feb (leap), 31 Mar, 30 Apr, 31 May."),
    ("month_end_feb_29_start", dict(principal=6_000_000, tenor=13, annual_rate_bp=1200, method="efektif",
     rounding_mode="half_up", rounding_multiple=100), "2028-02-29", "29 Feb start: 29 Mar, ..., 28 Feb 2029 (common year), 29 Mar."),
    ("month_end_jan_30", dict(principal=2_000_000, tenor=2, annual_rate_bp=1200, method="anuitas"), "2026-01-30",
     "30 Jan -> 28 Feb -> 30 Mar: always counted from the start date."),
    ("half_up_tie", dict(principal=3, tenor=2, annual_rate_bp=0, method="flat"), "2026-01-15",
     "Tie: 1,5 rounds half up to 2; last is 1."),
    ("interest_half_up_tie", dict(principal=60, tenor=1, annual_rate_bp=1000, method="efektif"), "2026-01-15",
     "Interest 0,5 rounds half up to 1."),
    ("infeasible_tiny_principal_down_1000", dict(principal=10_000, tenor=12, annual_rate_bp=1200, method="flat",
     rounding_mode="down", rounding_multiple=1000), "2026-01-15", "Amount rounds down to 0: refused."),
    ("infeasible_long_tenor_up_1000", dict(principal=50_000_000, tenor=360, annual_rate_bp=1200, method="anuitas",
     rounding_mode="up", rounding_multiple=1000), "2026-01-31", "Rounding up repays the principal before the last installment: refused."),
]  # fmt: skip


def expected_of(terms: ScheduleTerms, start: dt.date) -> dict:
    try:
        schedule = build_schedule(terms, start)
    except ScheduleError as exc:
        return {"error": exc.code}
    return {
        "installments": msgspec.to_builtins(schedule.installments),
        "totals": {
            "total_principal": schedule.total_principal,
            "total_interest": schedule.total_interest,
            "total_amount": schedule.total_amount,
            "max_installment": schedule.max_installment,
        },
    }


def generate() -> list[dict]:
    cases = []
    for name, terms, start, description in CASES:
        t = ScheduleTerms(**terms)
        cases.append(
            {
                "name": name,
                "description": description,
                "terms": msgspec.to_builtins(t),
                "start_date": start,
                "expected": expected_of(t, dt.date.fromisoformat(start)),
            }
        )
    return cases


def load() -> list[dict]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))


_IN_FILE = load() if VECTORS.exists() else []  # missing only while ``--write`` first creates it


@pytest.mark.parametrize("case", _IN_FILE, ids=[case["name"] for case in _IN_FILE])
def test_build_schedule_reproduces_the_vector(case):
    terms = msgspec.convert(case["terms"], ScheduleTerms)
    expected = case["expected"]
    start = dt.date.fromisoformat(case["start_date"])
    if "error" in expected:
        with pytest.raises(ScheduleError) as err:
            build_schedule(terms, start)
        assert err.value.code == expected["error"]
        return
    schedule = build_schedule(terms, start)
    assert msgspec.to_builtins(schedule.installments) == expected["installments"]
    assert schedule.total_principal == expected["totals"]["total_principal"]
    assert schedule.total_interest == expected["totals"]["total_interest"]
    assert schedule.total_amount == expected["totals"]["total_amount"]
    assert schedule.max_installment == expected["totals"]["max_installment"]


def test_the_file_is_what_the_cases_generate():
    assert load() == generate(), "run: python tests/domain/test_schedule_vectors.py --write"


def test_the_file_covers_methods_modes_multiples_and_edges():
    cases = load()
    built = [c for c in cases if "error" not in c["expected"]]
    assert {c["terms"]["method"] for c in built} == {"flat", "efektif", "anuitas"}
    assert {c["terms"]["rounding_mode"] for c in built} == {"half_up", "up", "down"}
    assert {c["terms"]["rounding_multiple"] for c in built} == {1, 100, 1000}
    rounded = {
        (c["terms"]["method"], c["terms"]["rounding_mode"]) for c in built if c["terms"]["rounding_multiple"] > 1
    }
    assert rounded == {(m, r) for m in ("flat", "efektif", "anuitas") for r in ("half_up", "up", "down")}
    assert any(c["terms"]["annual_rate_bp"] == 0 for c in built)
    assert any(c["terms"]["tenor"] == 1 for c in built)
    assert any(c["start_date"].endswith(("-31", "-29", "-30")) for c in built)
    assert any("error" in c["expected"] for c in cases)
    assert {"flat_worked_example", "efektif_worked_example"} <= {c["name"] for c in cases}


def test_the_worked_examples_in_the_file_are_the_published_numbers():
    by_name = {c["name"]: c["expected"] for c in load()}
    flat = by_name["flat_worked_example"]["installments"]
    assert {(i["principal"], i["interest"], i["amount"]) for i in flat} == {(750_000, 90_000, 840_000)}
    efektif = [i["amount"] for i in by_name["efektif_worked_example"]["installments"]]
    assert efektif[:2] == [11_000_000, 10_916_667] and efektif[-1] == 10_083_333


if __name__ == "__main__":
    if "--write" in sys.argv:
        VECTORS.write_text(json.dumps(generate(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {len(CASES)} cases to {VECTORS}")
    else:
        print(json.dumps(generate(), indent=1, ensure_ascii=False))
