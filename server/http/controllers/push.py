"""``/api/push``: the VAPID public key, a device's push subscriptions, notice preferences; and the
admin's delivery view at ``/api/admin/push/deliveries``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta, Struct

from server.auth.service import utcnow
from server.errors import AccessDenied, InvalidInput, InvalidState, NotFound
from server.notify.events import KINDS
from server.notify.service import PushService
from server.notify.subscriptions import MAX_BODY, SubscriptionRequest, check_subscription
from server.storage import push as store
from server.storage.accounts import UserRecord
from server.storage.database import Connection

from ..security import roles
from ..strict import strict_body

__all__ = ["PushController", "PushAdminController"]


class VapidPublicKey(Struct):
    public_key: str
    """The ``applicationServerKey`` for ``pushManager.subscribe`` (URL-safe base64, no padding)."""
    key_id: str
    enabled: bool


class Subscription(Struct):
    id: int
    client_id: str
    status: Literal["active", "resubscribe", "removed"]
    vapid_key_id: str
    created_at: str
    updated_at: str
    removed_reason: str | None = None


class SubscriptionList(Struct):
    public_key: str
    key_id: str
    subscriptions: list[Subscription]


class Preferences(Struct):
    kinds: dict[str, bool]


class PreferencesUpdate(Struct, forbid_unknown_fields=True):
    kinds: Annotated[dict[str, bool], Meta(max_length=len(KINDS))]


def _push(request: Request) -> PushService:
    return request.app.state.push


class PushController(Controller):
    path = "/api/push"
    tags = ["push"]

    @get("/vapid-public-key")
    async def vapid_public_key(self, request: Request) -> VapidPublicKey:
        """The server's VAPID public key, to subscribe with."""
        key = _push(request).keys.current()
        return VapidPublicKey(public_key=key.public_key, key_id=key.key_id, enabled=_push(request).enabled)

    @get("/subscriptions")
    async def list_subscriptions(self, request: Request) -> SubscriptionList:
        """The caller's subscriptions; ``status: resubscribe`` means subscribe again with ``public_key``."""
        user: UserRecord = request.user
        rows = await request.app.state.services.db.read(lambda c: store.user_subscriptions(c, user.id))
        key = _push(request).keys.current()
        return SubscriptionList(key.public_key, key.key_id, [Subscription(**r) for r in rows])

    @post("/subscriptions", status_code=201, request_max_body_size=MAX_BODY)
    async def subscribe(self, request: Request, data: JSONBody[SubscriptionRequest]) -> Response[Subscription]:
        """Register this device's push subscription (201 new, 200 renewed). It is tied to the caller, to
        the session and to the device's sync client id, and ends with them."""
        push = _push(request)
        body = await strict_body(request, SubscriptionRequest)
        if not push.enabled:
            raise InvalidState("push_disabled", "Notifikasi push tidak diaktifkan di server ini.")
        checked = check_subscription(body, allow_loopback_http=push.settings.push_allow_loopback_http)
        key = push.keys.current()
        if body.vapid_public_key is not None and body.vapid_public_key.rstrip("=") != key.public_key:
            raise InvalidState(
                "vapid_key_outdated",
                "Kunci notifikasi server sudah berganti; daftar ulang dengan kunci baru.",
                {"public_key": key.public_key, "key_id": key.key_id},
            )
        user: UserRecord = request.user
        session_id: str = request.auth
        now = utcnow()

        def write(conn: Connection) -> tuple[dict[str, Any], bool]:
            client_id = store.session_client(conn, session_id)
            if client_id is None or (body.client_id is not None and body.client_id != client_id):
                raise AccessDenied("client_mismatch", "Id perangkat tidak cocok dengan sesi ini.")
            return store.upsert_subscription(
                conn,
                user_id=user.id,
                member_id=user.member_id,
                session_id=session_id,
                client_id=client_id,
                checked=checked,
                key_id=key.key_id,
                now=now,
            )

        row, created = await request.app.state.services.db.write(write)
        return Response(Subscription(**row), status_code=201 if created else 200)

    @delete("/subscriptions/{subscription_id:int}", status_code=204)
    async def unsubscribe(self, request: Request, subscription_id: FromPath[int]) -> None:
        """Remove one of the caller's subscriptions (another user's is "not found")."""
        user: UserRecord = request.user
        now = utcnow()

        def write(conn: Connection) -> None:
            if store.subscription_owner(conn, subscription_id) != user.id:
                raise NotFound("subscription_not_found", "Langganan notifikasi tidak ditemukan.")
            store.remove_subscription(conn, subscription_id, "unsubscribed", now)

        await request.app.state.services.db.write(write)

    @get("/preferences")
    async def get_preferences(self, request: Request) -> Preferences:
        """Which kinds of notice the caller wants (the same on all their devices)."""
        user: UserRecord = request.user
        return Preferences(await request.app.state.services.db.read(lambda c: store.preferences(c, user.id)))

    @put("/preferences", request_max_body_size=MAX_BODY)
    async def set_preferences(self, request: Request, data: JSONBody[PreferencesUpdate]) -> Preferences:
        """Turn kinds of notice on or off; kinds not named keep their setting. Published to the feed."""
        body = await strict_body(request, PreferencesUpdate)
        unknown = sorted(set(body.kinds) - set(KINDS))
        if unknown:
            raise InvalidInput(
                "notice_kind_unknown",
                f"Jenis notifikasi tidak dikenal: {', '.join(unknown)}.",
                {"unknown": unknown, "kinds": list(KINDS)},
            )
        user: UserRecord = request.user
        now = utcnow()
        current = await request.app.state.services.db.write(
            lambda c: store.set_preferences(c, user.id, body.kinds, now)
        )
        return Preferences(current)


class PushAdminController(Controller):
    path = "/api/admin/push"
    tags = ["admin"]
    guards = [roles("admin")]

    @get("/deliveries")
    async def deliveries(
        self,
        request: Request,
        status: FromQuery[Literal["pending", "sending", "sent", "failed"] | None] = None,
        subscription_id: FromQuery[int | None] = None,
        limit: FromQuery[int] = 100,
    ) -> dict[str, Any]:
        """Delivery of notices: totals, per subscription (sent, failed, pending, last failure), latest rows."""
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit_out_of_range", "Batas harus antara 1 dan 1000.")
        return await request.app.state.services.db.read(
            lambda c: store.delivery_view(c, status=status, subscription_id=subscription_id, limit=limit)
        )
