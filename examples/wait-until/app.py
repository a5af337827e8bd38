"""Work after the response on Lambda, with only Python's standard library.

POST /orders answers 202 at once, then writes the order to ORDERS_FILE after WORK_SECONDS of "work" (a
database write, an e-mail, a webhook): the client is not kept waiting, and the adapter keeps the sandbox
awake until the write is done. GET /orders lists what was written. /hold-forever opens a hold and never
releases it (to see the deadline cut it), /echo shows the request's headers.

    PORT=8080 python3 app.py                                  # the app alone
    lambda-adapter dev -- python3 examples/wait-until/app.py  # behind a local Lambda
"""

import json
import os
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ORDERS = os.environ.get("ORDERS_FILE", "/tmp/orders.jsonl")
WORK_SECONDS = float(os.environ.get("WORK_SECONDS", "1"))


def hold(headers):
    """Opens a hold on this request's invocation; returns the URL that releases it (None off Lambda)."""
    url = headers.get("x-lambda-wait-until")
    if not url:
        return None
    return urllib.request.urlopen(urllib.request.Request(url, method="POST")).headers["Location"]


def release(hold_url):
    if hold_url:
        urllib.request.urlopen(urllib.request.Request(hold_url, method="DELETE"))


def write_order(order, hold_url):
    try:
        time.sleep(WORK_SECONDS)
        with open(ORDERS, "a") as orders:
            orders.write(json.dumps({"order": order, "written_at": time.time()}) + "\n")
    finally:
        release(hold_url)


class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/orders":
            try:
                with open(ORDERS) as orders:
                    lines = [json.loads(line) for line in orders if line.strip()]
            except FileNotFoundError:
                lines = []
            self.answer(200, json.dumps(lines))
        elif self.path.startswith("/echo"):
            self.answer(200, json.dumps({k.lower(): v for k, v in self.headers.items()}))
        elif self.path == "/":
            self.answer(200, "ready", "text/plain")
        else:
            self.answer(404, json.dumps({"message": "not found"}))

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path == "/orders":
            # The hold is opened before the answer is complete, then the work outlives the answer.
            hold_url = hold(self.headers)
            threading.Thread(target=write_order, args=(body, hold_url), daemon=True).start()
            self.answer(202, json.dumps({"accepted": body}))
        elif self.path == "/hold-forever":
            hold(self.headers)
            self.answer(202, json.dumps({"held": self.headers.get("x-lambda-wait-until")}))
        else:
            self.answer(404, json.dumps({"message": "not found"}))

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    ThreadingHTTPServer(("127.0.0.1", port), App).serve_forever()
