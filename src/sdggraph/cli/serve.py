"""`sdggraph serve`: run the web service (SPARQL endpoint, named questions, pages) with uvicorn."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

from ..errors import SdggraphError

GRACE_SECONDS = 3.0  # in-flight requests get this long after SIGTERM/SIGINT; then they are cancelled
HARD_STOP_SECONDS = 4.0  # and if anything still hangs this long after that, the process exits anyway


def _server_class():
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server with a watchdog: once asked to stop, it stops within seconds, always."""

        executor = None
        _watchdog: threading.Thread | None = None

        def handle_exit(self, sig, frame) -> None:
            if self._watchdog is None:
                self._watchdog = threading.Thread(target=self._hard_stop, daemon=True, name="sdggraph-stop")
                self._watchdog.start()
            super().handle_exit(sig, frame)

        def _hard_stop(self) -> None:
            time.sleep(GRACE_SECONDS + HARD_STOP_SECONDS)
            logging.getLogger("sdggraph.serve").error("shutdown did not finish in time: stopping now")
            for worker in list(getattr(self.executor, "_workers", ())):  # no locks: a holder may hang
                try:
                    worker.process.kill()
                except Exception:  # noqa: BLE001 (exiting anyway)
                    pass
            os._exit(1)

    return Server


def cmd_serve(args) -> int:
    from ..layout import require_build
    from ..server import logs
    from ..server.app import create_app
    from ..server.settings import Settings

    settings = Settings.from_env(build_dir=args.build_dir, timeout=args.timeout, workers=args.workers,
                                 max_rows=args.max_rows, max_body_bytes=args.max_body_bytes,
                                 max_result_bytes=args.max_result_bytes, fast_workers=args.fast_workers,
                                 max_queue=args.max_queue, log_format=args.log_format,
                                 http_processes=args.http_processes)
    logs.configure(settings.log_format)
    require_build(settings.build_dir)  # exit 2 with "run `sdggraph build` first"
    if settings.updates_enabled:
        logging.getLogger("sdggraph.serve").warning(
            "SPARQL Update is ENABLED (SDGGRAPH_UPDATE_TOKEN is set): updates change %s/oxigraph in place "
            "until the next `sdggraph build`; queries read a snapshot of it as of the last update", settings.build_dir)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("sdggraph.serve").info("listening on %s: reachable from other machines", args.host)
    # The event loop shares the GIL with threads that check long queries or render exports: hand it
    # over after 1 ms instead of 5, so requests keep flowing while such work runs.
    sys.setswitchinterval(0.001)
    from ..server.connections import raise_descriptor_limit

    raise_descriptor_limit(settings.max_connections * settings.http_processes)
    if settings.http_processes == 1:
        return _serve(create_app(settings), args, sockets=None)
    import socket

    from ..server.processes import supervise

    try:  # bound here, before any fork: every server process accepts from it
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        listening = socket.create_server((args.host, args.port), family=family, backlog=2048)
    except OSError as error:
        raise SdggraphError(f"cannot listen on {args.host}:{args.port}: {error}") from error
    listening.set_inheritable(True)
    status = supervise(settings.http_processes, lambda: _serve(create_app(settings), args, sockets=[listening]),
                       stop_within=GRACE_SECONDS + HARD_STOP_SECONDS + 1)
    if status:
        raise SdggraphError(f"the server could not start on {args.host}:{args.port}")
    return 0


def _serve(app, args, sockets) -> int:
    """Run uvicorn over `app` on host:port, or on `sockets` already bound (server/processes)."""
    import uvicorn

    from ..server.connections import protocol_class

    settings = app.state.settings
    # Our middleware logs every request with its outcome, so uvicorn's access log is off; log_config=None
    # keeps uvicorn's loggers on our handler (escaped text or JSON lines).
    config = uvicorn.Config(app, host=args.host, port=args.port, access_log=False, log_config=None,
                            log_level="info", timeout_graceful_shutdown=GRACE_SECONDS,
                            http=protocol_class(head_seconds=settings.request_seconds,
                                                max_connections=settings.max_connections))
    server = _server_class()(config)
    server.executor = app.state.sparql.executor
    try:
        server.run(sockets=sockets)
    except OSError as error:
        raise SdggraphError(f"cannot listen on {args.host}:{args.port}: {error}") from error
    except SystemExit as stop:  # uvicorn exits so when it cannot listen or start the app (logged above)
        if stop.code:
            raise SdggraphError(f"the server could not start on {args.host}:{args.port}") from None
    return 0


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "serve", parents=[common], help="serve the built graph: SPARQL endpoint, named questions, pages",
        description="Serve the built graph over HTTP. The SPARQL endpoint is read-only unless the environment "
                    "variable SDGGRAPH_UPDATE_TOKEN is set (then POST updates with Authorization: Bearer <token> "
                    "change the served store until the next build). Other settings: SDGGRAPH_MAX_ROWS, "
                    "SDGGRAPH_MAX_BODY_BYTES, SDGGRAPH_MAX_RESULT_BYTES, SDGGRAPH_WORKER_MEMORY_MB, "
                    "SDGGRAPH_QUERY_TIMEOUT, SDGGRAPH_WORKERS, SDGGRAPH_FAST_WORKERS, SDGGRAPH_FAST_SECONDS, "
                    "SDGGRAPH_MAX_QUEUE, SDGGRAPH_HEAVY_REQUESTS, SDGGRAPH_DERIVED_LIMIT, SDGGRAPH_HTTP_PROCESSES, "
                    "SDGGRAPH_LOG_FORMAT, SDGGRAPH_WARM_DERIVED.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a query may wait and run before it is stopped with 503 (default 5)")
    parser.add_argument("--workers", type=int, default=None,
                        help="query worker processes for long queries, i.e. queries run in parallel (default 2)")
    parser.add_argument("--fast-workers", type=int, default=None,
                        help="extra worker processes kept for short queries (default 1)")
    parser.add_argument("--max-queue", type=int, default=None,
                        help="requests that may wait for a worker; more get 503 with Retry-After (default 32)")
    parser.add_argument("--max-rows", type=int, default=None, help="result rows above which the answer is 413")
    parser.add_argument("--max-result-bytes", type=int, default=None,
                        help="answers larger than this are 413 (default 32 MiB)")
    parser.add_argument("--max-body-bytes", type=int, default=None, help="request bodies above this are 413")
    parser.add_argument("--http-processes", type=int, default=None,
                        help="server processes answering HTTP on one socket, each with its own --workers, "
                             "queue and cache: N cores for cheap answers instead of one (default 1)")
    parser.add_argument("--log-format", choices=["text", "json"], default=None,
                        help="request and server log: text lines or JSON lines (default text)")
    parser.set_defaults(func=cmd_serve)
