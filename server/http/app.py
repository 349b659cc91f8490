"""The Litestar application: routes, middleware, the exception mapper, OpenAPI, static PWA files."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from litestar import Litestar, Request, get
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router

from server.notify.service import PushService
from server.settings import Settings
from server.storage import loans as loan_store

from .controllers.admin import AuditController, CooperativeController, MemberAdminController
from .controllers.attachments import AttachmentController
from .controllers.auth import AdminController, AuthController
from .controllers.loans import LoanAdminController, LoanController, PayrollController, PlafonController
from .controllers.push import PushAdminController, PushController
from .controllers.reads import ReadController
from .controllers.sync import SyncController
from .errors import exception_handlers
from .limits import bound_query
from .openapi import assets_router, openapi_config
from .security import PUBLIC_API, AuthMiddleware
from .services import build_services

__all__ = ["create_app"]

log = logging.getLogger(__name__)
PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"


@get("/api/health", exclude_from_auth=True, tags=["health"])
async def health(request: Request) -> dict[str, str]:
    """Liveness and the database epoch (changes when the database is replaced)."""
    from server.storage.feed import epoch

    return {"status": "ok", "epoch": await request.app.state.services.db.read(epoch)}


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    services = build_services(settings)
    push = PushService(services.db, settings)

    async def startup(app: Litestar) -> None:
        services.pokes.bind(asyncio.get_running_loop())
        settings.prepare_data_dir()
        services.db.start()
        new_epoch = await services.db.write(services.watermark.check)
        loan_settings = settings.loan_settings
        await services.db.write(lambda c: loan_store.publish_loan_settings(c, loan_settings))
        if new_epoch:
            log.warning("database went back in time (replaced by hand?): new epoch %s", new_epoch)
        services.watermark.note(force=True)
        await push.start()

    async def shutdown(app: Litestar) -> None:
        push.stop()
        services.watermark.note(force=True)
        services.db.close()

    handlers: list = [
        health, AuthController, AdminController, SyncController, AttachmentController, ReadController, LoanController,
        LoanAdminController, PlafonController, PayrollController, PushController, PushAdminController, assets_router(),
        MemberAdminController, AuditController, CooperativeController,
    ]
    if PWA_DIR.is_dir() and any(PWA_DIR.iterdir()):
        handlers.append(create_static_files_router(
            path="/", directories=[PWA_DIR], html_mode=True, include_in_schema=False, opt={"exclude_from_auth": True}
        ))
    exclude = [f"^{p}$" for p in PUBLIC_API] + ["^/schema", "^/api/health$"]
    app = Litestar(
        route_handlers=handlers,
        # OPTIONS is authenticated like every other method: guards need a user (else a 500)
        middleware=[bound_query, DefineMiddleware(AuthMiddleware, exclude=exclude, exclude_http_methods=[])],
        exception_handlers=exception_handlers,  # type: ignore[arg-type]
        on_startup=[startup],
        on_shutdown=[shutdown],
        openapi_config=openapi_config(),
        request_max_body_size=settings.max_request_bytes,
        debug=False,
    )
    app.state.services = services
    app.state.push = push
    return app
