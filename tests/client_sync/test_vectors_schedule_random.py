"""Random schedule vectors (tests/vectors/protocol_schedule_random.json): server.domain.schedule decides.

The hand-picked cases of tests/vectors/loan_schedules.json cover the rules; these 300 seeded random
terms (every method, mode and multiple, tenors 1-360, rates 0-36 %, start dates up to month ends and
leap days, infeasible ones included) catch what a hand-picked list misses in the PWA's BigInt port
(tests/js/schedule.test.js). To keep the file small each schedule is stored as its totals plus the
SHA-256 of its installments' canonical JSON. Regenerate: ``python tests/client_sync/test_vectors_schedule_random.py --write``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
import sys
from pathlib import Path
from typing import Any

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from server.domain.schedule import ScheduleError, ScheduleTerms, build_schedule

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "protocol_schedule_random.json"
SEED = 20261201
COUNT = 300


def random_terms(rng: random.Random) -> tuple[dict[str, Any], str]:
    tenor = rng.choice([1, 2, 3, 6, 12, 18, 24, 36, 48, 60, 120, 240, 360, rng.randint(1, 360)])
    multiple = rng.choice([1, 100, 1000])
    principal = rng.choice([rng.randint(1, 10**6), rng.randint(10**6, 10**8), rng.randint(10**8, 10**10)])
    terms = {
        "principal": principal,
        "tenor": tenor,
        "annual_rate_bp": rng.choice([0, 600, 1000, 1200, 1375, 1800, rng.randint(0, 3600)]),
        "method": rng.choice(["flat", "efektif", "anuitas"]),
        "rounding_mode": rng.choice(["half_up", "up", "down"]),
        "rounding_multiple": multiple,
    }
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 1500))
    if rng.random() < 0.3:  # month ends and leap days
        day = rng.choice([dt.date(2024, 2, 29), dt.date(2025, 1, 31), dt.date(2026, 8, 31), dt.date(2027, 12, 31)])
    return terms, day.isoformat()


def digest(installments: list[dict[str, Any]]) -> str:
    """SHA-256 of the installments as JSON.stringify writes them (keys in field order, no spaces)."""
    text = json.dumps(installments, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def expected(terms: dict[str, Any], start: str) -> dict[str, Any]:
    try:
        s = build_schedule(ScheduleTerms(**terms), dt.date.fromisoformat(start))
    except ScheduleError as exc:
        return {"error": exc.code}
    rows = [
        {
            "number": i.number,
            "due_date": i.due_date.isoformat(),
            "principal": i.principal,
            "interest": i.interest,
            "amount": i.amount,
            "remaining": i.remaining,
        }
        for i in s.installments
    ]
    return {
        "totals": {
            "total_principal": s.total_principal,
            "total_interest": s.total_interest,
            "total_amount": s.total_amount,
            "max_installment": s.max_installment,
        },
        "last_due_date": s.last_due_date.isoformat(),
        "installments_sha256": digest(rows),
    }


def build() -> dict[str, Any]:
    rng = random.Random(SEED)
    cases = []
    for n in range(COUNT):
        terms, start = random_terms(rng)
        cases.append(
            {"name": f"random_{n:03d}", "terms": terms, "start_date": start, "expected": expected(terms, start)}
        )
    return {"description": __doc__.split("\n\n")[0], "seed": SEED, "cases": cases}


def test_file_is_what_server_domain_computes() -> None:
    stored = json.loads(VECTORS.read_text(encoding="utf-8"))
    assert stored == build()


def test_random_cases_cover_every_method_mode_and_both_outcomes() -> None:
    cases = build()["cases"]
    assert {c["terms"]["method"] for c in cases} == {"flat", "efektif", "anuitas"}
    assert {c["terms"]["rounding_mode"] for c in cases} == {"half_up", "up", "down"}
    infeasible = sum("error" in c["expected"] for c in cases)
    assert 10 <= infeasible <= COUNT - 100, infeasible


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        VECTORS.write_text(json.dumps(build(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {COUNT} cases to {VECTORS}")
    else:
        print(__doc__)
