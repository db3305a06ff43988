"""``ihanoi serve``, ``ihanoi token`` and ``ihanoi demo``."""

from __future__ import annotations

import argparse
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ihanoi_core.domain import tax_code
from ihanoi_core.domain.business_values import BusinessKind
from ihanoi_core.domain.values import Principal, Role
from ihanoi_core.errors import IhanoiError
from ihanoi_core.settings import Settings
from ihanoi_server.cli.output import OK, usage_error


def add_commands(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the HTTP server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(handler=run_serve)

    token = commands.add_parser("token", help="print a development bearer token")
    token.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.SYSTEM])
    token.add_argument("--sub", required=True, help="subject id, e.g. vneid:001099012345")
    token.add_argument("--agency", help="agency code (officers and leaders)")
    token.add_argument("--tax-code", help="the business's tax code (business role: whom the person acts for)")
    token.add_argument(
        "--business-kind", choices=[kind.value for kind in BusinessKind], help="the business's kind (business role)"
    )
    token.add_argument(
        "--ttl", type=int, default=8 * 3600, help="lifetime in seconds (default 8 hours, at most IHANOI_TOKEN_MAX_TTL)"
    )
    token.set_defaults(handler=run_token, opens_store=False)

    demo = commands.add_parser("demo", help="seed realistic Hanoi demo data into the configured store")
    demo.add_argument("--if-empty", action="store_true", help="do nothing when the store already has events")
    demo.add_argument("--days", type=int, default=28, help="simulated days (default 28)")
    demo.add_argument("--seed", type=int, default=2026)
    demo.add_argument("--host", default="127.0.0.1", help="where `ihanoi serve` will listen, for the curl line printed")
    demo.add_argument("--port", type=int, default=8000, help="its port (default 8000), for the curl line printed")
    demo.set_defaults(handler=run_demo)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from ihanoi_server.app import create_app

    app = StartupRefusals(create_app(settings, freeze_startup_objects=True))
    # The standard asyncio loop, not uvloop: under saturation uvloop served some
    # connections much later than others (create p99 over 300 ms against 50 ms
    # with asyncio at 32 connections, same throughput; `make bench`).
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
            loop="asyncio",
            # The client's address and the scheme (https) as the proxy saw them, from the proxies named only.
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
    except SystemExit:
        # What uvicorn does when the application did not start: a reason it named is said in one line instead.
        if app.refusal is not None:
            raise app.refusal from None
        raise
    return OK


class StartupRefusals:
    """The application as ``ihanoi serve`` hands it to uvicorn: when it refuses
    to start for a reason it can name (an ``IhanoiError`` raised while the
    lifespan opens the store and the read models: read models ahead of the
    store, an unfinished rebuild), the reason is kept in ``refusal`` for the
    command to say in one line, and uvicorn is told the start failed without
    the traceback it would log. Any other failure passes through unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.refusal: IhanoiError | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []

        async def hold_startup_failure(message: Message) -> None:
            # Starlette reports the failure, traceback and all, before it raises the error.
            if message["type"] == "lifespan.startup.failed":
                held.append(message)
            else:
                await send(message)

        try:
            await self.app(scope, receive, hold_startup_failure)
        except IhanoiError as error:
            if not held:
                raise
            self.refusal = error
            await send({"type": "lifespan.startup.failed"})
        except BaseException:
            for message in held:
                await send(message)
            raise


def run_token(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_core.directory.loader import load_directory
    from ihanoi_server.auth.tokens import issue_token

    role = Role(args.role)
    if not settings.hs256_tokens_accepted:
        # The server would refuse it: only the identity provider's tokens are accepted.
        return usage_error(
            "this server accepts only the identity provider's tokens (IHANOI_OIDC_ISSUER is set in production); "
            "set IHANOI_OIDC_ALLOW_HS256=true to accept development tokens too"
        )
    if role in (Role.OFFICER, Role.LEADER):
        if not args.agency:
            return usage_error("officers and leaders need --agency")
        agencies = load_directory(settings.directory).agencies
        if args.agency not in agencies:
            # The server would refuse it (unknown_agency).
            known = ", ".join(list(agencies)[:3])
            return usage_error(f"--agency {args.agency!r} is not an agency of the directory (e.g. {known})")
    if role is Role.BUSINESS and not (args.tax_code and tax_code.is_valid(args.tax_code)):
        return usage_error("a business token needs --tax-code, a valid tax code (mã số thuế)")
    if args.business_kind and role is not Role.BUSINESS:
        return usage_error("--business-kind is for a business token (--role business)")
    if not 0 < args.ttl <= settings.token_max_ttl:
        # The server would refuse a longer-lived token (token_lifetime_too_long).
        return usage_error(f"--ttl must be from 1 to {settings.token_max_ttl} seconds (IHANOI_TOKEN_MAX_TTL)")
    organisation = tax_code.normalise(args.tax_code) if role is Role.BUSINESS else None
    principal = Principal(args.sub, role, args.agency if role in (Role.OFFICER, Role.LEADER) else organisation)
    kind = BusinessKind(args.business_kind) if args.business_kind else None
    print(issue_token(settings.jwt_secret, principal, args.ttl, organisation_kind=kind))
    return OK


def run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from ihanoi_server.demo import seed_demo

    return seed_demo(
        settings, days=args.days, seed=args.seed, if_empty=args.if_empty, base_url=server_url(args.host, args.port)
    )


def server_url(host: str, port: int) -> str:
    """The URL a client on this machine reaches ``ihanoi serve --host HOST --port PORT`` at."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
