"""The OpenAPI document is generated, and names every endpoint the protocol documents."""

import httpx


def test_openapi_lists_every_endpoint(live_server) -> None:
    spec = httpx.get(f"{live_server.url}/schema/openapi.json").json()
    paths = set(spec["paths"])
    for path in (
        "/api/auth/login",
        "/api/auth/refresh",
        "/api/auth/logout",
        "/api/sync/push",
        "/api/sync/pull",
        "/api/sync/events",
        "/api/attachments/{sha256}",
        "/api/dashboard",
        "/api/deposits",
        "/api/withdrawals",
        "/api/deposits/{deposit_id}/slip",
        "/api/savings-card",
        "/api/members",
        "/api/cash-in-hand",
        "/api/ledger/verify",
        "/api/loan-products",
        "/api/loans/simulate",
        "/api/loans",
        "/api/loans/{loan_id}",
        "/api/deduction-changes",
        "/api/admin/loan-products/{product_id}",
        "/api/admin/members/{member_id}/payroll-profile",
        "/api/members/{member_id}/plafon-history",
        "/api/payroll/{month}/export",
        "/api/payroll/{month}/import",
    ):
        assert path in paths, path
    push = spec["paths"]["/api/sync/push"]["post"]
    assert "requestBody" in push
