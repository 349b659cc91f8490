"""The Litestar application: routes, middleware, the exception mapper, OpenAPI, static PWA files."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from pathlib import Path

from litestar import Litestar, Request, get
from litestar.config.compression import CompressionConfig
from litestar.middleware import DefineMiddleware
from litestar.static_files import create_static_files_router

from server.notify.service import PushService
from server.operations.backups import BackupService
from server.settings import Settings
from server.storage import loans as loan_store

from .controllers.admin import MemberAdminController
from .controllers.attachments import AttachmentController
from .controllers.auth import AdminController, AuthController
from .controllers.branding import BrandingAdminController, BrandingController, PublicBrandingController
from .controllers.cooperative import AuditController, CooperativeController
from .controllers.documents import DocumentController, FeeController, QrController, publish_document_references
from .controllers.loans import LoanAdminController, LoanController, PayrollController, PlafonController
from .controllers.membership import MembershipController
from .controllers.mfa import MfaAdminController, MfaController
from .controllers.ops import OpsController
from .controllers.push import PushAdminController, PushController
from .controllers.reads import ReadController
from .controllers.sync import SyncController
from .errors import exception_handlers
from .limits import bound_query
from .metrics import METRICS_PATH, Metrics, metrics_endpoint
from .openapi import assets_router, openapi_config
from .pwa_headers import PwaHeadersMiddleware
from .security import PUBLIC_API, AuthMiddleware
from .services import build_services
from .strict import require_json

__all__ = ["create_app"]

log = logging.getLogger(__name__)
PWA_DIR = Path(__file__).resolve().parents[2] / "pwa"
# Pull pages cross prepaid mobile data: brotli where the client accepts it, else gzip, above 1 KiB.
# Never the live channel (a compressor buffers, and SSE must reach the client event by event) nor
# attachments (JPEG, PNG and PDF are compressed already). Compression runs on the event loop: on a
# 1.3 MB page of feed JSON, brotli quality 1 took ~3-6 ms for 11 % of the size (quality 4: 16-56 ms
# for 10.8 %); gzip level 5, ~10-18 ms for 12.5 %.
COMPRESSION = CompressionConfig(
    backend="brotli",
    brotli_quality=1,
    brotli_gzip_fallback=True,
    gzip_compress_level=5,
    minimum_size=1024,
    exclude=["^/api/sync/events", "^/api/attachments/"],
)

# The writer thread gives up the GIL around every SQLite call and must win it back from the event loop;
# with many requests in flight the loop holds it for the whole switch interval each time, and the
# writer, the bottleneck, waits: it gets about one statement per interval while the loop is busy.
# 200 devices pushing at once (bench/bench_push_many.py), alternating on a busy 2-core machine:
# 5.1-6.8k mut/s at 5 ms, 7.5-10.0k at 2 ms (one device alone ~4 % less, within the noise); at
# 0.5 ms the crowd's ratio to one device was 2.24 / 0.94 / 1.17 against 0.43 / 0.18 / 1.86 at 2 ms
# (2026-12-02, load 5-16: weak evidence, the direction the mechanism predicts).
GIL_SWITCH_SECONDS = 0.0005

# The garbage collector's full pass walked the whole startup heap (~145k objects: Litestar, msgspec
# and typing metadata) in the middle of a push: one gen-2 collection of 85-146 ms per 10,000 pushed
# mutations (bench push, gc callbacks, 2026-12-02), about 10 % of the push phase. Objects alive once
# startup is done live until the process ends, so they are frozen out of every later collection, and
# the young generation is collected every 10,000 allocations instead of 700 (a push of 1,000 decodes
# ~2,000 tracked structs: 5 gen-0 passes each). Measured: gc time per 10,000 mutations 120-170 ms -> ~1 ms.
GC_YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """Freeze what startup built out of the collector's reach and collect the young rarer (see above)."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


@get("/api/health", exclude_from_auth=True, tags=["health"])
async def health(request: Request) -> dict[str, str]:
    """Liveness and the database epoch (changes when the database is replaced)."""
    from server.storage.feed import epoch

    return {"status": "ok", "epoch": await request.app.state.services.db.read(epoch)}


def create_app(settings: Settings | None = None, *, own_process: bool = False) -> Litestar:
    """The application. ``own_process``: the server is the process (``serve``), so it may tune the process's
    garbage collector (``settle_heap``); an in-process test server leaves its host's heap alone."""
    settings = settings or Settings.from_env()
    services = build_services(settings)
    push = PushService(services.db, settings)
    backups = BackupService(services.db, settings)
    metrics = Metrics(services)

    async def startup(app: Litestar) -> None:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        services.pokes.bind(asyncio.get_running_loop())
        settings.prepare_data_dir()
        services.db.start()
        new_epoch = await services.db.write(services.watermark.check)
        await services.auth.second_factor.prepare()
        loan_settings = settings.loan_settings
        await services.db.write(lambda c: loan_store.publish_loan_settings(c, loan_settings))
        if new_epoch:
            log.warning("database went back in time (replaced by hand?): new epoch %s", new_epoch)
        services.watermark.note(force=True)
        await push.start()
        backups.start()
        if own_process:
            settle_heap()

    async def shutdown(app: Litestar) -> None:
        backups.stop()
        push.stop()
        services.watermark.note(force=True)
        services.db.close()

    handlers: list = [
        health,
        AuthController,
        AdminController,
        SyncController,
        AttachmentController,
        ReadController,
        LoanController,
        LoanAdminController,
        PlafonController,
        PayrollController,
        PushController,
        PushAdminController,
        assets_router(),
        BrandingController,
        BrandingAdminController,
        PublicBrandingController,
        DocumentController,
        QrController,
        FeeController,
        MfaController,
        MfaAdminController,
        OpsController,
        metrics_endpoint,
        MemberAdminController,
        MembershipController,
        AuditController,
        CooperativeController,
    ]
    if PWA_DIR.is_dir() and any(PWA_DIR.iterdir()):
        handlers.append(
            create_static_files_router(
                path="/",
                directories=[PWA_DIR],
                html_mode=True,
                include_in_schema=False,
                opt={"exclude_from_auth": True},
            )
        )
    exclude = [f"^{p}$" for p in PUBLIC_API] + ["^/schema", "^/api/health$", f"^{METRICS_PATH}$"]
    app = Litestar(
        route_handlers=handlers,
        # OPTIONS is authenticated like every other method: guards need a user (else a 500)
        middleware=[
            metrics.middleware,
            PwaHeadersMiddleware,
            bound_query,
            DefineMiddleware(AuthMiddleware, exclude=exclude, exclude_http_methods=[]),
        ],
        exception_handlers=exception_handlers,
        on_startup=[startup, publish_document_references],
        on_shutdown=[shutdown],
        openapi_config=openapi_config(),
        request_max_body_size=settings.max_request_bytes,
        before_request=require_json,  # 415 for a JSON-body endpoint called without application/json
        compression_config=COMPRESSION,
        debug=False,
    )
    app.state.services = services
    app.state.push = push
    app.state.backups = backups
    app.state.metrics = metrics
    return app
