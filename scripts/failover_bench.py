#!/usr/bin/env python3
"""Failover benchmark: rgroup (3 rg-nodes, 3 rg-sentinels on NATS) beside Redis Sentinel
(redis-server 1 primary + 2 replicas, 3 redis-sentinel), same down-after, in ONE run,
alternating, KILLS kills each. Driven by scripts/failover-bench.sh.

Each trial starts a fresh group, runs two writers on the primary (plain SETs, and SET +
WAIT 1), kills the primary with SIGKILL, then asks a sentinel for the primary's address
until it changes and writes there until a write succeeds, as a sentinel-aware client
would. It reports the time from the kill to that first write, the same minus down-after
(the part after detection), and the acknowledged writes missing on the new primary.
"""

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

DOWN_AFTER_MS = int(os.environ.get("DOWN_AFTER_MS", "1000"))
KILLS = int(os.environ.get("KILLS", "5"))
RG_NODE = os.environ.get("RG_NODE", "target/release/rg-node")
RG_SENTINEL = os.environ.get("RG_SENTINEL", "target/release/rg-sentinel")
POLL_S = 0.002


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    """A minimal RESP2 client: enough for SET, WAIT, GET, SENTINEL and INFO."""

    def __init__(self, port, timeout=1.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self._reply()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise RuntimeError("bad reply %r" % line)


def call(port, *args, timeout=1.0):
    c = Resp(port, timeout)
    try:
        return c.call(*args)
    finally:
        c.close()


def wait_for(what, predicate, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if predicate():
                return
        except (OSError, RuntimeError, ConnectionError, ValueError):
            pass
        time.sleep(0.05)
    raise SystemExit("failover-bench: timed out waiting for " + what)


class Writer(threading.Thread):
    """SETs prefix:N for N = 0, 1, ... until the connection fails; with `wait`, a write
    counts as acknowledged only once WAIT 1 says a replica holds it."""

    def __init__(self, port, prefix, wait):
        super().__init__(daemon=True)
        self.port, self.prefix, self.wait = port, prefix, wait
        self.acked = []

    def run(self):
        try:
            c = Resp(self.port, timeout=2.0)
            for i in range(10**9):
                if c.call("SET", "%s:%d" % (self.prefix, i), i) != "OK":
                    continue
                if self.wait and c.call("WAIT", 1, 100) < 1:
                    continue
                self.acked.append(i)
        except (OSError, RuntimeError, ConnectionError):
            return


class Group:
    """One side of the comparison: start(), primary_port(), sentinel_ports, kill_primary()."""

    def __init__(self, work):
        self.work = work
        self.procs = {}

    def spawn(self, name, argv):
        log = open(os.path.join(self.work, name + ".log"), "w")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()

    def primary_port(self):
        host, port = call(self.sentinel_ports[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.name)
        return int(port)

    def ready(self):
        fields = call(self.sentinel_ports[0], "SENTINEL", "MASTER", self.name)
        fields = dict(zip(fields[::2], fields[1::2]))
        return fields["num-slaves"] == "2" and fields["num-other-sentinels"] == "2"

    def kill_primary(self, port):
        os.kill(self.procs[self.node_of_port[port]].pid, signal.SIGKILL)


class RedisSentinelGroup(Group):
    name = "bench"

    def start(self):
        ports = [free_port() for _ in range(3)]
        self.node_of_port = {}
        for i, port in enumerate(ports):
            argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", self.work]
            if i:
                argv += ["--replicaof", "127.0.0.1", str(ports[0])]
            self.spawn("redis%d" % i, argv)
            self.node_of_port[port] = "redis%d" % i
        for port in ports:
            wait_for("redis-server", lambda p=port: call(p, "PING") == "PONG")
        self.sentinel_ports = [free_port() for _ in range(3)]
        for i, port in enumerate(self.sentinel_ports):
            conf = os.path.join(self.work, "sentinel%d.conf" % i)
            with open(conf, "w") as f:
                f.write("port %d\nbind 127.0.0.1\ndir %s\n" % (port, self.work))
                f.write("sentinel monitor bench 127.0.0.1 %d 2\n" % ports[0])
                f.write("sentinel down-after-milliseconds bench %d\n" % DOWN_AFTER_MS)
            self.spawn("sentinel%d" % i, ["redis-sentinel", conf])
        wait_for("Redis Sentinel to see 2 replicas and 2 other sentinels", self.ready)
        return ports[0]


class RgroupGroup(Group):
    name = "bench"

    def start(self):
        nats = free_port()
        self.spawn("nats", ["nats-server", "-a", "127.0.0.1", "-p", str(nats), "-js",
                            "-sd", os.path.join(self.work, "js")])
        url = "nats://127.0.0.1:%d" % nats
        wait_for("nats-server", lambda: socket.create_connection(("127.0.0.1", nats)).close() or True)
        ports = [free_port() for _ in range(3)]
        self.node_of_port = {}
        for i, port in enumerate(ports):
            argv = [RG_NODE, "--port", str(port), "--nats-url", url, "--group", self.name,
                    "--node-id", "n%d" % i, "--sentinels", "s0,s1,s2", "--log-level", "warn"]
            if i:
                argv += ["--replicaof", "n0"]
            self.spawn("n%d" % i, argv)
            self.node_of_port[port] = "n%d" % i
        self.sentinel_ports = [free_port() for _ in range(3)]
        for i, port in enumerate(self.sentinel_ports):
            state = os.path.join(self.work, "s%d" % i)
            os.makedirs(state, exist_ok=True)
            self.spawn("s%d" % i, [RG_SENTINEL, "--id", "s%d" % i, "--nats-url", url,
                                   "--group", self.name, "--sentinels", "s0,s1,s2",
                                   "--down-after-ms", str(DOWN_AFTER_MS), "--port", str(port),
                                   "--state-dir", state, "--log-level", "info"])
        wait_for("rgroup's sentinels to see 2 replicas and 2 other sentinels",
                 lambda: self.ready() and self.primary_port() == ports[0])
        return ports[0]


def trial(kind):
    with tempfile.TemporaryDirectory() as work:
        group = kind(work)
        try:
            primary = group.start()
            wait_for("replicas in sync", lambda: call(primary, "WAIT", 2, 100) == 2)
            plain, waited = Writer(primary, "plain", False), Writer(primary, "waited", True)
            plain.start()
            waited.start()
            time.sleep(1.0)
            group.kill_primary(primary)
            killed = time.monotonic()
            new = first_write(group, primary)
            took = (time.monotonic() - killed) * 1000
            plain.join(5)
            waited.join(5)
            lost_plain = missing(new, "plain", plain.acked)
            lost_waited = missing(new, "waited", waited.acked)
            return took, lost_plain, lost_waited, len(plain.acked), len(waited.acked)
        finally:
            group.stop()


def first_write(group, old):
    """Asks every sentinel for the primary's address until one names a new primary, then
    writes there until a write succeeds (a client may ask any sentinel)."""
    while True:
        for port in group.sentinel_ports:
            try:
                _, new = call(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", group.name)
                new = int(new)
                if new != old and call(new, "SET", "after-failover", "1") == "OK":
                    return new
            except (OSError, RuntimeError, ConnectionError, TypeError, ValueError):
                pass
        time.sleep(POLL_S)


def missing(port, prefix, acked):
    c = Resp(port, timeout=5.0)
    try:
        return sum(1 for i in acked if c.call("GET", "%s:%d" % (prefix, i)) is None)
    finally:
        c.close()


def main():
    results = {"rgroup": [], "redis-sentinel": []}
    for n in range(KILLS):
        for name, kind in (("rgroup", RgroupGroup), ("redis-sentinel", RedisSentinelGroup)):
            took, lost_plain, lost_waited, acked_plain, acked_waited = trial(kind)
            results[name].append((took, lost_plain, lost_waited))
            print("kill %d %-15s %7.0f ms to first write; lost %d of %d plain, %d of %d waited"
                  % (n + 1, name, took, lost_plain, acked_plain, lost_waited, acked_waited),
                  file=sys.stderr)
    print("| down-after %d ms, %d kills each | rgroup | Redis Sentinel | ratio |" % (DOWN_AFTER_MS, KILLS))
    print("| --- | --- | --- | --- |")
    med = {k: statistics.median(t for t, _, _ in v) for k, v in results.items()}
    after = {k: max(med[k] - DOWN_AFTER_MS, 1.0) for k in med}
    print("| kill -9 to first write (median) | %.0f ms | %.0f ms | %.2f |"
          % (med["rgroup"], med["redis-sentinel"], med["rgroup"] / med["redis-sentinel"]))
    print("| after detection (minus down-after) | %.0f ms | %.0f ms | %.2f |"
          % (after["rgroup"], after["redis-sentinel"], after["rgroup"] / after["redis-sentinel"]))
    for label, index in (("acknowledged writes lost, plain SET (total)", 1),
                         ("acknowledged writes lost, SET + WAIT 1 (total)", 2)):
        print("| %s | %d | %d | |" % (label, sum(r[index] for r in results["rgroup"]),
                                      sum(r[index] for r in results["redis-sentinel"])))


if __name__ == "__main__":
    main()
