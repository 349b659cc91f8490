"""Protocol tests: every HTTP answer any test here receives is recorded, and none may be a 5xx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"protocol_report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def no_server_errors(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[tuple[str, str, int]]]:
    """Whatever a test sends, the server answers with a deliberate status: a 5xx fails the test.

    (Reported once: if the test itself already failed, that failure already tells the story.)
    """
    seen: list[tuple[str, str, int]] = []
    original = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, *args: object, **kwargs: object) -> httpx.Response:
        response = original(self, request, *args, **kwargs)  # type: ignore[arg-type]
        seen.append((request.method, str(request.url)[:160], response.status_code))
        return response

    monkeypatch.setattr(httpx.Client, "send", send)
    yield seen
    call = getattr(request.node, "protocol_report_call", None)
    if call is not None and call.failed:
        return
    errors = [entry for entry in seen if entry[2] >= 500]
    assert not errors, f"server answered 5xx: {errors}"
