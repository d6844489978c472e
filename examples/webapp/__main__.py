"""Serve the example app: ``python -m examples.webapp [--framework NAME] [--port 8000]``."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta
from pathlib import Path

import sessionjar
from examples.webapp.common import SESSION_LIMIT


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the command-line options."""
    parser = argparse.ArgumentParser(prog="python -m examples.webapp", description=__doc__)
    parser.add_argument("--framework", choices=["fastapi", "flask", "django"], default="fastapi")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--db", type=Path, default=Path("sessionjar-webapp.db"), help="sqlite file of the store"
    )
    parser.add_argument(
        "--access-validity",
        type=float,
        default=20,
        help="access-token lifetime in seconds (short, to watch the page refresh it)",
    )
    parser.add_argument(
        "--insecure-cookies",
        action="store_true",
        help="drop the Secure flag: for plain http on a host other than localhost, or Safari"
        " (Chromium and Firefox accept Secure cookies from http://localhost)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Build the chosen flavour on the sqlite store and serve it until interrupted."""
    args = parse_args(argv)
    url = f"sqlite:///{args.db.resolve()}"
    validity = timedelta(seconds=args.access_validity)
    secure = not args.insecure_cookies
    print(f"sessionjar example ({args.framework}) on http://localhost:{args.port}/ — store {url}")
    if args.framework == "django":
        from examples.webapp.django_app import create_app as create_django_app
        from examples.webapp.wsgi import serve_forever

        app = create_django_app(url, access_validity=validity, secure_cookies=secure)
        serve_forever(app, args.host, args.port)
    elif args.framework == "flask":
        from examples.webapp.flask_app import create_app as create_flask_app

        manager = sessionjar.SessionManager(
            sessionjar.open_store(url), access_token_validity=validity, session_limit=SESSION_LIMIT
        )
        with manager:
            create_flask_app(manager, secure_cookies=secure).run(args.host, args.port)
    else:
        import uvicorn

        from examples.webapp.fastapi_app import create_app as create_fastapi_app

        amanager = sessionjar.AsyncSessionManager(
            sessionjar.open_async_store(url),
            access_token_validity=validity,
            session_limit=SESSION_LIMIT,
        )
        try:
            uvicorn.run(
                create_fastapi_app(amanager, secure_cookies=secure), host=args.host, port=args.port
            )
        finally:
            asyncio.run(amanager.close())


if __name__ == "__main__":
    main()
