"""Real WebSocket clients (Python `websockets`, PyPI) against `lambda-adapter dev`, one scenario per run.

Usage: python3 dev_clients.py SCENARIO URL [ARGS...]. Prints one JSON document with what the client saw;
tests/dev_ws.rs asserts on it.
"""

import asyncio
import json
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


def closed(error):
    """The close frame the server sent, as [code, reason]."""
    frame = error.rcvd
    return [frame.code, frame.reason] if frame else None


async def until_closed(ws):
    try:
        while True:
            await ws.recv()
    except ConnectionClosed as error:
        return closed(error)


async def chat(url):
    """The example app: subprotocol, a reply, pushed ticks, then the reply after them."""
    async with connect(url, subprotocols=["chat"]) as ws:
        await ws.send(json.dumps({"action": "sendmessage", "text": "hi"}))
        received = [json.loads(await ws.recv())]
        await ws.send(json.dumps({"action": "ticks", "n": 3}))
        received += [json.loads(await ws.recv()) for _ in range(4)]
        return {"subprotocol": ws.subprotocol, "received": received}


async def limits(url):
    """A binary frame, a frame over 32 KB, a message over 128 KB in 32 KB frames; and one just within."""
    result = {}
    async with connect(url, max_size=None) as ws:
        await ws.send("x" * 32768)
        result["at_limit"] = json.loads(await ws.recv())
        await ws.send(b"\x00\x01")
        result["binary"] = await until_closed(ws)
    async with connect(url, max_size=None) as ws:
        await ws.send("x" * 32769)
        result["frame"] = await until_closed(ws)
    async with connect(url, max_size=None) as ws:
        await ws.send(["y" * 30000 for _ in range(5)])
        result["message"] = await until_closed(ws)
    return result


async def reject(url):
    try:
        async with connect(url):
            return {"status": 101}
    except InvalidStatus as error:
        return {"status": error.response.status_code, "body": error.response.body.decode()}


async def messages(url, *texts):
    """Sends each text and collects one frame for each."""
    async with connect(url) as ws:
        replies = []
        for text in texts:
            await ws.send(text)
            replies.append(await ws.recv())
        return {"replies": replies}


async def close(url, code=None, reason=""):
    """Learns its connection id, then closes with `code` and `reason` (no status at all when `code` is -)."""
    async with connect(url, user_agent_header="dev-ws-test/1") as ws:
        await ws.send(json.dumps({"action": "whoami"}))
        me = json.loads(await ws.recv())
        if code == "-":
            await ws.close(code=None)
        else:
            await ws.close(code=int(code), reason=reason)
        return me


async def idle(url):
    """Pings every 0.2 s (which must not count as activity) until the server closes the socket."""
    started = time.monotonic()
    async with connect(url, ping_interval=0.2, ping_timeout=5) as ws:
        await ws.send(json.dumps({"action": "whoami"}))
        await ws.recv()
        frame = await until_closed(ws)
    return {"closed": frame, "after_s": round(time.monotonic() - started, 2)}


async def busy(url):
    """Sends a message every 0.3 s (never idle) until the server closes the socket."""
    started = time.monotonic()
    async with connect(url) as ws:
        try:
            while True:
                await ws.send(json.dumps({"action": "whoami"}))
                await ws.recv()
                await asyncio.sleep(0.3)
        except ConnectionClosed as error:
            frame = closed(error)
    return {"closed": frame, "after_s": round(time.monotonic() - started, 2)}


SCENARIOS = {
    "chat": chat,
    "limits": limits,
    "reject": reject,
    "messages": messages,
    "close": close,
    "idle": idle,
    "busy": busy,
}

if __name__ == "__main__":
    scenario, url, *args = sys.argv[1:]
    print(json.dumps(asyncio.run(asyncio.wait_for(SCENARIOS[scenario](url, *args), 30))))
