"""A test app for `lambda-adapter dev`'s WebSocket emulation (tests/dev_ws.rs). Python standard library only.

  POST /ws/connect     ?reject=NNN answers NNN; ?protocol=P answers Sec-WebSocket-Protocol: P; ?push=1 first
                       pushes to its own x-ws-callback (API Gateway answers 410 during $connect)
  POST /ws/message     {"action": "whoami"} replies with the connection id and route key it was given;
                       {"action": "fail"} answers 500; {"action": "push"} pushes "pushed" then replies
                       "replied"; anything else replies {"route": <route key>, "length": <body length>}
  POST /ws/disconnect  records the code and reason
  GET /_seen           every WebSocket request seen, in order, as JSON
  GET /                readiness
"""

import json
import os
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from quiet_http import QuietHandler  # beside this script

SEEN = []
LOCK = threading.Lock()


def push(url, data):
    request = urllib.request.Request(url, data=data.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


class Handler(QuietHandler):

    def do_GET(self):
        if self.path == "/_seen":
            with LOCK:
                return self.reply(200, json.dumps(SEEN).encode(), {"Content-Type": "application/json"})
        self.reply(200, b"ok")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        record = {
            "path": url.path,
            "query": query,
            "event": self.headers.get("x-ws-event"),
            "connectionId": self.headers.get("x-ws-connection-id"),
            "routeKey": self.headers.get("x-ws-route-key"),
            "code": self.headers.get("x-ws-disconnect-code"),
            "reason": self.headers.get("x-ws-disconnect-reason"),
            "userAgent": self.headers.get("User-Agent"),
        }
        callback = self.headers.get("x-ws-callback")
        if url.path == "/ws/connect":
            if query.get("push"):
                record["pushStatus"] = push(callback, "too early")
            with LOCK:
                SEEN.append(record)
            if query.get("reject"):
                return self.reply(int(query["reject"]), b'{"message":"rejected by the app"}')
            headers = {"Sec-WebSocket-Protocol": query["protocol"]} if query.get("protocol") else {}
            return self.reply(200, b"", headers)
        with LOCK:
            SEEN.append(record)
        if url.path == "/ws/message":
            try:
                message = json.loads(body)
            except ValueError:
                message = {}
            action = message.get("action") if isinstance(message, dict) else None
            if action == "whoami":
                reply = {"connectionId": record["connectionId"], "routeKey": record["routeKey"]}
                return self.reply(200, json.dumps(reply).encode())
            if action == "fail":
                return self.reply(500, b"boom")
            if action == "push":
                status = push(callback, "pushed")
                return self.reply(200, f"replied after a push answered {status}".encode())
            return self.reply(200, json.dumps({"route": record["routeKey"], "length": len(body)}).encode())
        self.reply(200)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler).serve_forever()
