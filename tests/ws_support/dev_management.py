"""The @connections API of `lambda-adapter dev`, through real AWS clients (tests/dev_ws.rs).

  python3 dev_management.py boto3 WS_URL CALLBACK_PORT
      A `websockets` client connects and learns its id; boto3's own `apigatewaymanagementapi` client, with
      `endpoint_url` at the adapter's callback port (the adapter signs and forwards to dev), posts to it, gets
      its info, deletes it, and posts to unknown and deleted ids. Prints one JSON document.
  python3 dev_management.py sign ENDPOINT ACCESS_KEY SECRET_KEY SESSION_TOKEN REGION
      Calls dev's management API directly, signed by botocore's SigV4Auth with the given credentials and with
      a wrong secret, unsigned, and oversized. Prints the statuses as JSON.
"""

import asyncio
import json
import sys
import urllib.error
import urllib.request

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


def error_code(call):
    try:
        call()
        return "no error"
    except ClientError as error:
        return error.response["Error"]["Code"]


async def with_boto3(ws_url, callback_port):
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"http://127.0.0.1:{callback_port}",
        region_name="us-east-1",
        aws_access_key_id="unused",
        aws_secret_access_key="unused",
    )
    result = {}
    async with connect(ws_url, user_agent_header="dev-ws-boto3/1") as ws:
        await ws.send(json.dumps({"action": "whoami"}))
        me = json.loads(await ws.recv())["connectionId"]
        result["id"] = me
        answer = await asyncio.to_thread(client.post_to_connection, ConnectionId=me, Data=b"from boto3")
        result["post"] = answer["ResponseMetadata"]["HTTPStatusCode"]
        result["received"] = await ws.recv()
        info = await asyncio.to_thread(client.get_connection, ConnectionId=me)
        result["get"] = {
            "status": info["ResponseMetadata"]["HTTPStatusCode"],
            "sourceIp": info["Identity"]["SourceIp"],
            "userAgent": info["Identity"]["UserAgent"],
            "connectedAt": info["ConnectedAt"].isoformat(),
            "active_after_connect": info["LastActiveAt"] >= info["ConnectedAt"],
        }
        answer = await asyncio.to_thread(client.delete_connection, ConnectionId=me)
        result["delete"] = answer["ResponseMetadata"]["HTTPStatusCode"]
        try:
            await ws.recv()
            result["closed"] = None
        except ConnectionClosed as error:
            result["closed"] = [error.rcvd.code, error.rcvd.reason] if error.rcvd else None
    result["unknown"] = await asyncio.to_thread(error_code, lambda: client.post_to_connection(ConnectionId="bm90LWEtY29ubg=", Data=b"x"))
    result["deleted"] = await asyncio.to_thread(error_code, lambda: client.post_to_connection(ConnectionId=me, Data=b"x"))
    return result


def status(method, url, data=b"", headers=None):
    request = urllib.request.Request(url, data=data or None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return [answer.status, answer.headers.get("x-amzn-ErrorType")]
    except urllib.error.HTTPError as error:
        return [error.code, error.headers.get("x-amzn-ErrorType")]


def signed(method, url, data, key, secret, token, region):
    request = AWSRequest(method=method, url=url, data=data)
    SigV4Auth(Credentials(key, secret, token), "execute-api", region).add_auth(request)
    return status(method, url, data, dict(request.headers.items()))


def sign(endpoint, key, secret, token, region):
    url = f"{endpoint}/@connections/bm90LWEtY29ubg%3D"
    return {
        "right": signed("POST", url, b"hi", key, secret, token, region),
        "wrong_secret": signed("POST", url, b"hi", key, secret + "x", token, region),
        "wrong_token": signed("GET", url, b"", key, secret, "other-token", region),
        "unsigned": status("POST", url, b"hi"),
        "too_large": signed("POST", url, b"x" * 131073, key, secret, token, region),
    }


if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    if mode == "boto3":
        print(json.dumps(asyncio.run(asyncio.wait_for(with_boto3(*args), 30))))
    else:
        print(json.dumps(sign(*args)))
