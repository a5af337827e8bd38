"""A WebSocket chat demo for lambda-adapter: a plain HTTP app, no AWS SDK, no Lambda code.

API Gateway holds the browser's WebSocket; the adapter turns each event into a request to this app:
  POST /ws/connect     the handshake (its headers and query); 2xx accepts, anything else rejects
  POST /ws/message     one frame as the body; a 2xx body is the reply to the sender
  POST /ws/disconnect  the close; the answer goes nowhere
and the app pushes to a connection by POSTing to the `x-ws-callback` URL the adapter gives it (the adapter
signs the call and forwards it to API Gateway's @connections API).

  GET /                the browser page (add ?ws=wss://... to connect to a deployed WebSocket API)
  GET /health          readiness

Messages are JSON: {"action": "sendmessage", "text": "hi"} gets a reply; {"action": "ticks", "n": 3} gets
three pushed ticks, half a second apart, then a reply. Run it with `PORT=8080 python3 app.py`.
"""

import json
import os
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SUBPROTOCOL = "chat"
PAGE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "index.html")


def push(callback_url, message):
    """Sends `message` to the connection. Returns the status: 200, or 410 once the client has gone."""
    request = urllib.request.Request(callback_url, data=json.dumps(message).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, body=b"", content_type="application/json", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.split("?")[0] == "/":
            with open(PAGE_FILE, "rb") as page:
                return self.send(200, page.read(), "text/html; charset=utf-8")
        if self.path == "/health":
            return self.send(200, b"ok", "text/plain")
        self.send(404, b'{"message":"not found"}')

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route = self.path.split("?")[0]
        if route == "/ws/connect":
            offered = [p.strip() for p in self.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
            # Echo the subprotocol only when the client offered it: a browser closes a socket that does not.
            headers = {"Sec-WebSocket-Protocol": SUBPROTOCOL} if SUBPROTOCOL in offered else {}
            return self.send(200, b"", headers=headers)
        if route == "/ws/message":
            try:
                message = json.loads(body or b"{}")
            except ValueError:
                message = {"text": body.decode("utf-8", "replace")}
            if not isinstance(message, dict):
                message = {"text": str(message)}
            callback = self.headers["x-ws-callback"]
            if message.get("action") == "ticks":
                count = max(1, min(int(message.get("n", 3)), 20))
                for tick in range(1, count + 1):
                    if push(callback, {"type": "tick", "n": tick}) == 410:
                        break  # the client has gone: stop pushing to it
                    time.sleep(0.5)
                reply = {"type": "reply", "text": f"sent {count} ticks"}
            else:
                reply = {"type": "reply", "text": f"you said: {message.get('text', '')}"}
            return self.send(200, json.dumps(reply).encode())
        if route == "/ws/disconnect":
            return self.send(200)
        self.send(404, b'{"message":"not found"}')

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
