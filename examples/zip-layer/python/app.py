"""The go-http example's front page in Python's standard library: a web app that knows nothing about Lambda.

It listens on $PORT like anywhere else. On a managed runtime (python3.12 here) the lambda-adapter layer's exec
wrapper (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap) starts it through run.sh, the function's Handler, in place of
the Python runtime; the adapter, running from the layer as an extension, turns each invocation into a request.
Any framework works the same way: run.sh would start gunicorn, uvicorn or node instead.
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def first(value):
    """The first of a comma-separated header's values, which proxies append to."""
    return (value or "").split(",")[0].strip()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.split("?")[0] != "/":
            self.send("404 page not found\n".encode(), "text/plain; charset=utf-8", 404)
            return
        host = first(self.headers.get("X-Forwarded-Host")) or self.headers.get("Host", "")
        scheme = first(self.headers.get("X-Forwarded-Proto")) or "http"
        body = {
            "message": "hello from Python's http.server",
            "app": "python",
            "url": f"{scheme}://{host}{self.path}",
            "authorization": (self.headers.get("Authorization") or "").split(" ")[0],
        }
        self.send(json.dumps(body).encode() + b"\n", "application/json")

    def send(self, body, content_type, status=200):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    print(f"python app listening on :{port}", flush=True)
    ThreadingHTTPServer(("", port), Handler).serve_forever()
