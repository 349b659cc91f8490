"""Issue 10.11: ``/metrics`` in Prometheus format, not public; structured JSON logs."""

from __future__ import annotations

import json
import logging
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.http.logs import JsonFormatter
from server.http.serving import QueryStringFilter
from server.protocol import DepositCreate
from tests.ops.conftest import ROLES, client_for, login
from tests.support.api import ApiSession
from tests.support.servers import ProcessServer, copy_template


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def test_metrics_are_not_public(ops_server) -> None:
    server = ops_server()
    assert httpx.get(f"{server.url}/metrics").status_code == 401
    assert httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert (
        httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer nope"}).json()["code"] == "token_invalid"
    )


@pytest.mark.parametrize("role", sorted(ROLES))
def test_only_an_admin_token_or_the_scrape_token_reads_metrics(ops_server, role: str) -> None:
    server = ops_server(metrics_token="scrape-" + "k" * 40)
    token = login(server.url, ROLES[role]).json()["access_token"]
    response = httpx.get(f"{server.url}/metrics", headers={"Authorization": f"Bearer {token}"})
    if role == "admin":
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    else:
        assert (response.status_code, response.json()["code"]) == (403, "role_not_allowed")
    scraped = httpx.get(f"{server.url}/metrics", headers={"Authorization": "Bearer scrape-" + "k" * 40})
    assert scraped.status_code == 200 and "lumbung_writer_queue_depth" in scraped.text


def test_metrics_count_requests_by_route_and_show_push_pull_writer_and_backup_age(ops_server) -> None:
    server = ops_server(metrics_token="t" * 32)
    officer = ApiSession(server.url, "petugas1")
    results = officer.push_ops(
        DepositCreate(
            deposit_id="0" * 8 + "-0000-4000-8000-" + "0" * 12,
            member_id=1,
            savings_type="sukarela",
            kind="offline",
            amount=10_000,
            location_id=1,
        )
    )
    assert results[0]["status"] == "applied"
    officer.pull_all()
    officer.get("/api/loans/00000000-0000-4000-8000-000000000001")
    headers = {"Authorization": "Bearer " + "t" * 32}
    before = _samples(httpx.get(f"{server.url}/metrics", headers=headers).text)
    assert before[("lumbung_backup_age_seconds", ())] == -1
    with client_for(server.url, "admin") as admin:
        assert admin.post("/api/admin/backups").json()["ok"]
    samples = _samples(httpx.get(f"{server.url}/metrics", headers=headers).text)
    push = (("method", "POST"), ("route", "/api/sync/push"), ("status", "200"))
    assert samples[("lumbung_http_requests_total", push)] >= 1
    assert (
        samples[("lumbung_http_request_duration_seconds_count", (("method", "POST"), ("route", "/api/sync/push")))] >= 1
    )
    assert any(
        name == "lumbung_http_requests_total" and dict(labels).get("route") == "/api/sync/pull"
        for name, labels in samples
    )
    routes = {dict(labels).get("route") for name, labels in samples if name == "lumbung_http_requests_total"}
    assert not any("00000000" in (r or "") for r in routes), routes  # templates, never raw ids
    assert samples[("lumbung_mutations_total", (("status", "applied"),))] >= 1
    assert samples[("lumbung_writer_queue_depth", ())] >= 0
    assert samples[("lumbung_feed_head_position", ())] > 0
    assert 0 <= samples[("lumbung_backup_age_seconds", ())] < 60
    assert samples[("lumbung_backup_last_good_timestamp_seconds", ())] > time.time() - 60
    officer.close()


def test_json_log_lines_carry_fields_and_no_query_strings() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/sync/events?access_token=SECRET", "1.1", 200),
        None,
    )
    QueryStringFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["path"] == "/api/sync/events" and line["status"] == 200 and line["level"] == "info"
    assert "SECRET" not in json.dumps(line)


def test_the_served_process_logs_json_when_asked(demo_template, tmp_path) -> None:
    data = copy_template(demo_template, tmp_path / "data")
    server = ProcessServer(data, LUMBUNG_LOG_FORMAT="json", LUMBUNG_BACKUP_ENABLED="0").start()
    try:
        httpx.get(f"{server.url}/api/health?x=1")
    finally:
        server.stop()
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    assert any(e.get("path") == "/api/health" and e.get("status") == 200 for e in lines), lines[-5:]
    assert any(e["logger"].startswith("uvicorn") and e["message"] for e in lines)
