def test_demo_server_answers_health_and_login(live_server):
    import httpx

    from tests.support.api import login

    assert httpx.get(f"{live_server.url}/api/health").json()["status"] == "ok"
    session = login(live_server.url, "petugas1")
    assert session.user["role"] == "petugas" and session.user["location_ids"] == [1]
