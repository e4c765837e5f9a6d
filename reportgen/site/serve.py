"""``reportgen serve``: a built site over HTTP, as GitHub Pages serves it."""

from __future__ import annotations

import functools
import sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from reportgen.site.errors import SiteError


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8000):
    """An HTTP server for a built site (what GitHub Pages does: files, 404.html for the rest)."""
    if not directory.is_dir():
        raise SiteError("is not a folder; build the site first with 'reportgen build'", path=directory)

    class Handler(SimpleHTTPRequestHandler):
        extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                          ".js": "text/javascript", ".md": "text/markdown; charset=utf-8",
                          ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
                          ".parquet": "application/vnd.apache.parquet"}

        def end_headers(self):
            self.send_header("Cache-Control", "no-cache")
            super().end_headers()

        def send_error(self, code, message=None, explain=None):
            page = directory / "404.html"
            if code == 404 and page.is_file():
                body = page.read_bytes()
                self.send_response(404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return
            super().send_error(code, message, explain)

        def log_message(self, format, *args):  # noqa: A002
            sys.stderr.write("%s %s\n" % (self.address_string(), format % args))

    handler = functools.partial(Handler, directory=str(directory))
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as exc:
        raise SiteError(f"cannot listen on {host}:{port} ({exc.strerror}); pass another --port") from None

