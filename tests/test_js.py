"""The PWA's JavaScript unit tests (tests/js/, Node's built-in runner) as one pytest test.

So the README's single test command also runs the JS suite: the schedule port, the loan rules, the
mutation validation, the outbox rules, the ledger chain and the formatting, each against the shared
vectors under tests/vectors/ that the Python suite checks too. Node 18+ is needed; without it the test
fails (it does not skip) so CI notices a missing runtime; Node 18 (Debian 12's ``nodejs``) works too.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JS_TESTS = ROOT / "tests" / "js"


def test_node_test_runner_passes_every_js_test() -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js (18 or later) is required to run tests/js (apt-get install nodejs)"
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    assert int(version.lstrip("v").split(".")[0]) >= 18, f"Node 18 or later is required, found {version}"
    files = sorted(str(p.relative_to(ROOT)) for p in JS_TESTS.glob("*.test.js"))
    assert files, "no tests/js/*.test.js found"
    proc = subprocess.run(
        [node, "--test", "--test-reporter=tap", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = dict(re.findall(r"^# (tests|pass|fail|cancelled) (\d+)$", proc.stdout, re.MULTILINE))
    failures = "\n".join(line for line in proc.stdout.splitlines() if line.startswith("not ok"))
    assert proc.returncode == 0, f"node --test failed:\n{failures}\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    assert summary.get("fail") == "0" and int(summary.get("pass", "0")) > 100, summary
