"""A thin HTTP client for protocol tests: real requests, no shortcuts into the server."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import msgspec

from server.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, Mutation, MutationOp, PushRequest

__all__ = ["ApiSession", "login", "DEMO_PASSWORD"]

DEMO_PASSWORD = "rahasia123"


class ApiSession:
    """One user on one device: numbers its mutations like a real client."""

    def __init__(self, base_url: str, username: str, client_id: str | None = None) -> None:
        self.http = httpx.Client(base_url=base_url, headers={PROTOCOL_HEADER: str(PROTOCOL_VERSION)}, timeout=30)
        self.client_id = client_id or uuid.uuid4().hex
        response = self.http.post(
            "/api/auth/login", json={"username": username, "password": DEMO_PASSWORD, "client_id": self.client_id}
        )
        response.raise_for_status()
        body = response.json()
        self.token = body["access_token"]
        self.refresh_token = body["refresh_token"]
        self.user = body["user"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        self.next_id = 1
        self.cursor = ""

    def mutation(self, op: MutationOp, number: int | None = None, mutation_uuid: str | None = None) -> Mutation:
        if number is None:
            number, self.next_id = self.next_id, self.next_id + 1
        return Mutation(
            id=number,
            uuid=mutation_uuid or str(uuid.uuid4()),
            user_id=self.user["id"],
            op=op,
            device_time=dt.datetime.now(dt.UTC),
        )

    def push(self, *mutations: Mutation) -> httpx.Response:
        body = msgspec.json.encode(PushRequest(client_id=self.client_id, mutations=list(mutations)))
        return self.http.post("/api/sync/push", content=body, headers={"content-type": "application/json"})

    def push_ops(self, *ops: MutationOp) -> list[dict[str, Any]]:
        response = self.push(*(self.mutation(op) for op in ops))
        response.raise_for_status()
        return response.json()["results"]

    def pull(self, cursor: str | None = None, limit: int = 1000) -> dict[str, Any]:
        response = self.http.get(
            "/api/sync/pull",
            params={"client_id": self.client_id, "cursor": self.cursor if cursor is None else cursor, "limit": limit},
        )
        response.raise_for_status()
        return response.json()

    def pull_all(self, limit: int = 1000) -> list[dict[str, Any]]:
        """Every change from the current cursor to the head, advancing the cursor."""
        changes: list[dict[str, Any]] = []
        while True:
            page = self.pull(limit=limit)
            if page["reset"]:
                self.cursor = ""
                continue
            changes += page["changes"]
            self.cursor = page["cursor"]
            if not page["has_more"]:
                return changes

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def close(self) -> None:
        self.http.close()


def login(base_url: str, username: str, client_id: str | None = None) -> ApiSession:
    return ApiSession(base_url, username, client_id)
