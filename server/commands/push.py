"""``lumbung-server push keys | rotate-keys | deliveries``: the VAPID key and the delivery view."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from server.settings import Settings

__all__ = ["add_parsers", "dispatch"]


def add_parsers(sub: Any) -> None:
    push = sub.add_parser("push", help="Web Push: VAPID key, key rotation, delivery of notices")
    actions = push.add_subparsers(dest="push_command", required=True)
    actions.add_parser("keys", help="print the VAPID public key (made on first use)")
    actions.add_parser("rotate-keys", help="new VAPID key pair; devices are told to subscribe again")
    view = actions.add_parser("deliveries", help="delivery of notices: sent, failed with reason, pending")
    view.add_argument("--status", choices=["pending", "sending", "sent", "failed"])
    view.add_argument("--subscription", type=int, help="only this subscription id")
    view.add_argument("--limit", type=int, default=50, help="latest deliveries to list (default 50)")


def _database(settings: Settings) -> Any:
    from server.storage.database import Database
    from server.storage.migrate import upgrade

    upgrade(settings.database_path)
    return Database(settings.database_path, synchronous=settings.sqlite_synchronous)


def _keys(settings: Settings) -> int:
    from server.notify.keys import KeyStore

    key = KeyStore(settings.data_dir).ensure()
    print(f"Kunci publik VAPID ({key.key_id}): {key.public_key}")
    print(f"Subjek VAPID: {settings.vapid_subject}")
    return 0


def _rotate(settings: Settings) -> int:
    from server.notify.keys import KeyStore
    from server.storage import push as store

    key = KeyStore(settings.data_dir).rotate()
    db = _database(settings)
    try:
        count = db.write_sync(lambda c: store.mark_resubscribe(c, key.key_id, dt.datetime.now(dt.UTC)))
    finally:
        db.close()
    print(f"Kunci VAPID baru ({key.key_id}): {key.public_key}")
    print(f"{count} langganan diminta mendaftar ulang (perangkat mengetahuinya saat sinkron berikutnya).")
    return 0


def _deliveries(settings: Settings, args: argparse.Namespace) -> int:
    from server.storage import push as store

    db = _database(settings)
    try:
        view = db.read_sync(
            lambda c: store.delivery_view(c, status=args.status, subscription_id=args.subscription, limit=args.limit)
        )
    finally:
        db.close()
    t = view["totals"]
    print(f"Pengiriman notifikasi: terkirim {t['sent']}, gagal {t['failed']}, menunggu {t['pending'] + t['sending']}")
    print("\nLangganan:")
    print(
        f"  {'id':>5} {'pengguna':<14} {'status':<12} {'terkirim':>8} {'gagal':>6} {'menunggu':>8}  layanan push / kegagalan terakhir"
    )
    for s in view["subscriptions"]:
        last = s["last_failure"] or s["removed_reason"] or ""
        print(
            f"  {s['id']:>5} {s['username']:<14} {s['status']:<12} {s['sent']:>8} {s['failed']:>6} {s['pending']:>8}"
            f"  {s['push_service']}" + (f" — {last}" if last else "")
        )
    print("\nPengiriman terakhir:")
    for d in view["deliveries"]:
        print(
            f"  notice {d['notice_id']:>6} → langganan {d['subscription_id']:>5}  {d['kind']:<20} {d['status']:<8}"
            f" percobaan {d['attempts']}" + (f"  {d['reason']}" if d["reason"] else "")
        )
    return 0


def dispatch(args: argparse.Namespace, settings: Settings) -> int | None:
    """Run the command if it is ours; None means "not a push command"."""
    if getattr(args, "command", None) != "push":
        return None
    if args.push_command == "keys":
        return _keys(settings)
    if args.push_command == "rotate-keys":
        return _rotate(settings)
    return _deliveries(settings, args)
