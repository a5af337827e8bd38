"""A stand-in for API Gateway's @connections API that checks every SigV4 signature with botocore.

Usage: python3 sink.py ACCESS_KEY SECRET_KEY REGION. Prints `PORT <n>` once listening on 127.0.0.1.

For each call under /{stage}/@connections/{id} it rebuilds the request from the headers the caller signed
(SignedHeaders in Authorization), signs it again with botocore's SigV4Auth at the caller's X-Amz-Date, and
answers 403 with API Gateway's message when the signatures differ. Otherwise, as API Gateway would:
ids starting with `gone` → 410 GoneException; ids starting with `slow` → answer after 0.5 s; POST → 200,
GET → 200 with connection info, DELETE → 204. GET /_calls returns every call seen, in order, with whether it
has been answered (`answered`), for tests to check.
"""

import datetime
import json
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from unittest import mock
from urllib.parse import unquote

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from quiet_http import QuietHandler  # beside this script

ACCESS_KEY, SECRET_KEY, REGION = sys.argv[1], sys.argv[2], sys.argv[3]
CALLS = []
LOCK = threading.Lock()
# botocore's signer reads the clock through this function; patching is process-wide, so signing is serialised.
SIGN_LOCK = threading.Lock()


def expected_authorization(method, path, headers, body, signed_names, token):
    url = f"http://{headers['host']}{path}"
    signed = {name: headers[name] for name in signed_names if name in headers and name != "x-amz-date"}
    request = AWSRequest(method=method, url=url, data=body, headers=signed)
    when = datetime.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    with SIGN_LOCK, mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, token), "execute-api", REGION).add_auth(request)
    return request.headers["Authorization"]


class Handler(QuietHandler):

    def handle_call(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path == "/_calls":
            with LOCK:
                return self.reply(200, json.dumps(CALLS).encode(), {"Content-Type": "application/json"})
        headers = {name.lower(): value for name, value in self.headers.items()}
        call = {"method": self.command, "path": self.path, "body": body.decode("utf-8", "replace"), "answered": False}
        with LOCK:
            CALLS.append(call)
        status, payload, extra = self.decide(headers, body)
        with LOCK:
            call["status"] = status
            call["answered"] = True
        self.reply(status, payload, extra)

    def decide(self, headers, body):
        authorization = headers.get("authorization", "")
        if not authorization.startswith("AWS4-HMAC-SHA256 ") or "x-amz-date" not in headers:
            return 403, b'{"message":"Missing Authentication Token"}', {"x-amzn-ErrorType": "MissingAuthenticationTokenException"}
        signed_names = authorization.split("SignedHeaders=")[1].split(",")[0].split(";")
        want = expected_authorization(self.command, self.path, headers, body, signed_names, headers.get("x-amz-security-token"))
        if want != authorization:
            message = "The request signature we calculated does not match the signature you provided."
            return 403, json.dumps({"message": message}).encode(), {"x-amzn-ErrorType": "ForbiddenException"}
        marker = "/@connections/"
        if marker not in self.path:
            return 404, b'{"message":"Not Found"}', {}
        connection_id = unquote(self.path.split(marker, 1)[1])
        if connection_id.startswith("slow"):
            time.sleep(0.5)
        if connection_id.startswith("gone"):
            return 410, b"", {"x-amzn-ErrorType": "GoneException"}
        if self.command == "POST":
            return 200, b"", {}
        if self.command == "GET":
            info = {"connectedAt": "2024-03-16T00:46:22.306Z", "lastActiveAt": "2024-03-16T00:46:22.773Z",
                    "identity": {"sourceIp": "203.0.113.7", "userAgent": "test"}}
            return 200, json.dumps(info).encode(), {"Content-Type": "application/json"}
        if self.command == "DELETE":
            return 204, b"", {}
        return 403, b'{"message":"Missing Authentication Token"}', {}

    do_GET = do_POST = do_DELETE = do_PUT = handle_call


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()
