"""`sdggraph serve`: run the web service (SPARQL endpoint, named questions, pages) with uvicorn."""

from __future__ import annotations

import logging

from ..errors import SdggraphError


def cmd_serve(args) -> int:
    import uvicorn

    from ..layout import require_build
    from ..server.app import create_app
    from ..server.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(build_dir=args.build_dir, timeout=args.timeout, workers=args.workers,
                                 max_rows=args.max_rows, max_body_bytes=args.max_body_bytes)
    require_build(settings.build_dir)  # exit 2 with "run `sdggraph build` first"
    if settings.updates_enabled:
        logging.getLogger("sdggraph.serve").warning(
            "SPARQL Update is ENABLED (SDGGRAPH_UPDATE_TOKEN is set): updates change %s/oxigraph in place "
            "until the next `sdggraph build`; queries run in one worker", settings.build_dir)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        logging.getLogger("sdggraph.serve").info("listening on %s: reachable from other machines", args.host)
    app = create_app(settings)
    try:
        # Our middleware logs every request with its outcome, so uvicorn's access log is off.
        uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="info")
    except OSError as error:
        raise SdggraphError(f"cannot listen on {args.host}:{args.port}: {error}") from error
    return 0


def register(subparsers, common) -> None:
    parser = subparsers.add_parser(
        "serve", parents=[common], help="serve the built graph: SPARQL endpoint, named questions, pages",
        description="Serve the built graph over HTTP. The SPARQL endpoint is read-only unless the environment "
                    "variable SDGGRAPH_UPDATE_TOKEN is set (then POST updates with Authorization: Bearer <token> "
                    "change the served store until the next build). Other settings: SDGGRAPH_MAX_ROWS, "
                    "SDGGRAPH_MAX_BODY_BYTES, SDGGRAPH_WORKER_MEMORY_MB, SDGGRAPH_QUERY_TIMEOUT, SDGGRAPH_WORKERS.")
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a query may run before it is stopped with 503 (default 5)")
    parser.add_argument("--workers", type=int, default=None,
                        help="query worker processes, i.e. queries run in parallel (default 2)")
    parser.add_argument("--max-rows", type=int, default=None, help="result rows above which the answer is 413")
    parser.add_argument("--max-body-bytes", type=int, default=None, help="request bodies above this are 413")
    parser.set_defaults(func=cmd_serve)

