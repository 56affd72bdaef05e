"""Uses a replication group the way an application written with redis-py does, with
redis-py's defaults (RESP3 since redis-py 8): through the router's three endpoints, and
through the sentinels with redis-py's own Sentinel class. Exits non-zero on the first
thing that does not work as on Redis; prints "ok" at the end.

    python redis_py_defaults.py SMART PRIMARY READER GROUP SENTINEL_PORT...
"""

import sys
import time

import redis
from redis.sentinel import Sentinel


def eventually(check, what):
    deadline = time.time() + 10
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"never: {what}")


def main() -> None:
    smart, primary, reader, group = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    sentinels = [("127.0.0.1", int(port)) for port in sys.argv[5:]]

    app = redis.Redis(port=smart)
    assert app.ping()
    assert app.execute_command("HELLO")[b"proto"] == 3, "redis-py 8 speaks RESP3"
    app.set("greeting", "hello")
    assert app.get("greeting") == b"hello", "read-your-writes on the smart endpoint"
    app.hset("user:1", mapping={"name": "ada", "visits": 3})
    assert app.hgetall("user:1") == {b"name": b"ada", b"visits": b"3"}
    app.zadd("board", {"ada": 2.5, "bob": 1})
    assert app.zrange("board", 0, -1, withscores=True) == [(b"bob", 1.0), (b"ada", 2.5)]
    assert app.get("missing") is None

    with app.pipeline(transaction=True) as pipe:
        pipe.incr("counter").incr("counter").get("counter")
        assert pipe.execute() == [1, 2, b"2"]
    with app.pipeline(transaction=False) as pipe:
        for i in range(100):
            pipe.set(f"p{i}", i)
        pipe.get("p99")
        assert pipe.execute()[-1] == b"99"

    assert redis.Redis(port=primary).get("greeting") == b"hello"
    replica = redis.Redis(port=reader)
    eventually(lambda: replica.get("greeting") == b"hello", "the reader endpoint sees the write")

    other_db = redis.Redis(port=smart, db=9)
    other_db.set("greeting", "hej")
    assert other_db.get("greeting") == b"hej" and app.get("greeting") == b"hello"

    pubsub = redis.Redis(port=smart, db=9).pubsub()
    pubsub.subscribe("a", "b", "c")
    for _ in range(3):
        assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    for channel in ("a", "b", "c"):
        assert app.publish(channel, channel) == 1
        message = pubsub.get_message(timeout=5)
        assert message and message["data"] == channel.encode(), message
    pubsub.close()

    # redis-py's Lock and registered scripts: EVALSHA, SCRIPT LOAD after NOSCRIPT.
    lock = app.lock("resource", timeout=5)
    assert lock.acquire(blocking=False)
    assert not app.lock("resource").acquire(blocking=False), "the lock is held"
    lock.release()
    assert app.lock("resource").acquire(blocking=False), "released, it can be taken again"
    incr_by = app.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert incr_by(keys=["scripted"], args=[5]) == 5
    assert incr_by(keys=["scripted"], args=[2]) == 7

    big = b"x" * (4 * 1024 * 1024)
    app.set("big", big)
    assert app.get("big") == big

    sentinel = Sentinel(sentinels, socket_timeout=5)
    host, port = sentinel.discover_master(group)
    assert sentinel.discover_slaves(group), "the sentinels know the replicas"
    master = sentinel.master_for(group)
    master.set("via-sentinel", "yes")
    assert redis.Redis(host=host, port=port).get("via-sentinel") == b"yes"
    slave = sentinel.slave_for(group)
    eventually(lambda: slave.get("via-sentinel") == b"yes", "a replica from the sentinels has it")
    print("ok", flush=True)


if __name__ == "__main__":
    main()
