"""Serves the built web console (console/dist) on 127.0.0.1, as CloudFront does in the AWS stages.

python -m local_cloud.console_server --dist console/dist --port N --api-url URL [--websocket-url URL]

- `/config.json` is the stage's runtime configuration (the API's URLs), answered here, never read from the build:
  the same build serves every stage.
- Files of the build are served as they are; any other path answers index.html (client-side routes).
- The same security headers as the CloudFront distribution (infra_cdk/capabilities/console_hosting.py), with
  the local API's origins in connect-src.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(api_url: str, websocket_url: str | None) -> str:
    connect = ["'self'", _origin(api_url)] + ([_origin(websocket_url)] if websocket_url else [])
    return "; ".join(
        [
            "default-src 'self'",
            f"connect-src {' '.join(connect)}",
            "media-src 'self' data: blob:",
            "img-src 'self' data:",
            "style-src 'self' 'unsafe-inline'",
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'none'",
        ]
    )


def build_app(dist: Path, api_url: str, websocket_url: str | None, presign_origins: list[str]) -> web.Application:
    """The console app: /config.json, the build's files, index.html for everything else."""
    dist = dist.resolve()
    index = dist / "index.html"
    if not index.is_file():
        raise SystemExit(f"{index} does not exist: build the console first (make setup-console)")
    config = {"apiUrl": api_url, "websocketUrl": websocket_url}
    csp = content_security_policy(api_url, websocket_url)
    # the jobs page PUTs uploads to presigned URLs (the local S3 endpoints): allowed as connect targets too
    csp = csp.replace("connect-src ", "connect-src " + " ".join(presign_origins) + " ", 1) if presign_origins else csp
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }

    async def config_json(_: web.Request) -> web.Response:
        return web.json_response(config, headers={**headers, "Cache-Control": "no-store"})

    async def files(request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"]
        candidate = (dist / relative).resolve()
        if relative and candidate.is_file() and candidate.is_relative_to(dist):
            return web.FileResponse(candidate, headers=headers)
        return web.FileResponse(index, headers={**headers, "Cache-Control": "no-store"})

    app = web.Application()
    app.router.add_get("/config.json", config_json)
    app.router.add_get("/{path:.*}", files)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--websocket-url")
    parser.add_argument("--connect-origin", action="append", default=[], help="another origin the app may call")
    args = parser.parse_args()
    app = build_app(args.dist, args.api_url, args.websocket_url, args.connect_origin)
    print(f"console on http://127.0.0.1:{args.port}/", flush=True)
    web.run_app(app, host="127.0.0.1", port=args.port, print=None)


if __name__ == "__main__":
    main()
