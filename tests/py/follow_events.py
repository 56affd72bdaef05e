"""Prints the names of rgroup's public events, one per line, as a client written with
nats-py (not rgroup's code) receives them; exits after FailoverComplete or a timeout.

    python follow_events.py NATS_URL SUBJECT
"""

import asyncio
import json
import sys

import nats


async def main(url: str, subject: str) -> None:
    client = await nats.connect(url)
    done = asyncio.Event()

    async def on_event(message):
        event = json.loads(message.data)
        print(event["event"], flush=True)
        if event["event"] == "FailoverComplete":
            done.set()

    await client.subscribe(subject, cb=on_event)
    await client.flush()
    print("ready", flush=True)
    try:
        await asyncio.wait_for(done.wait(), timeout=30)
    finally:
        await client.close()


asyncio.run(main(sys.argv[1], sys.argv[2]))
