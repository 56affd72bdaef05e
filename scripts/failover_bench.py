#!/usr/bin/env python3
"""Failover benchmark: rgroup (3 rg-nodes, 3 rg-sentinels on NATS) beside Redis Sentinel
(redis-server 1 primary + 2 replicas, 3 redis-sentinel), same down-after, in ONE run,
alternating. Driven by scripts/failover-bench.sh. FAULT=kill|buscut|both (default both).

Each trial starts a fresh group and runs two writers on the primary's client port (plain
SETs, and SET + WAIT 1 100), then injects the fault; a client asks the sentinels for the
primary's address until it changes and writes there until a write succeeds, as a
sentinel-aware client would. Reported: the time from the fault to that first write, and
the acknowledged writes missing on the new primary (a plain SET that got OK; a SET whose
WAIT 1 answered >= 1).

- kill (KILLS trials each): the primary is killed with SIGKILL.
- buscut (CUTS trials per configuration): the primary reaches the others only through a
  TCP proxy in this script (rgroup: its NATS connection; Redis: its sentinels' and
  replicas' connections to it), while the writers keep reaching its client port. The
  proxy is cut (every forwarded connection closed, new ones refused) for CUT_MS, then
  healed; the trial ends once the old primary is back as a replica that has caught up.
  CUT_KIND=stall cuts instead by holding every connection and byte, unforwarded, until
  the heal: a partition that no endpoint's kernel notices (close tells the primary at
  once that its replicas' links are gone, which Redis's min-replicas counts at once).
  Each system runs with its min-replicas setting and without; with RG_OLD_BIN_DIR (a
  build of rg-node and rg-sentinel from before min-replicas-max-lag-ms), rgroup also runs
  without it on those binaries ("before").
"""

import multiprocessing
import os
import shutil
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
FAULT = os.environ.get("FAULT", "both")
CUTS = int(os.environ.get("CUTS", "5"))
CUT_MS = int(os.environ.get("CUT_MS", "4000"))
CUT_KIND = os.environ.get("CUT_KIND", "close")
RG_OLD_BIN_DIR = os.environ.get("RG_OLD_BIN_DIR", "")
RG_NODE = os.environ.get("RG_NODE", "target/release/rg-node")
RG_SENTINEL = os.environ.get("RG_SENTINEL", "target/release/rg-sentinel")
POLL_S = 0.002


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Resp:
    """A minimal RESP2 client: enough for SET, WAIT, GET, MGET, SENTINEL and INFO."""

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


def info_replication(port):
    text = call(port, "INFO", "replication")
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def eventually(predicate, seconds):
    """Seconds until predicate() held, or None if it did not within `seconds`; an
    exception (a refused connection, an error reply) counts as not yet."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        try:
            if predicate():
                return time.monotonic() - start
        except (OSError, RuntimeError, ConnectionError, ValueError, KeyError, TypeError):
            pass
        time.sleep(0.05)
    return None


def wait_for(what, predicate, seconds=30):
    if eventually(predicate, seconds) is None:
        raise SystemExit("failover-bench: timed out waiting for " + what)


def shut(sock):
    """Wakes any thread blocked on sock (accept or recv); the thread that owns it closes it."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Proxy:
    """A threaded TCP forwarder from its own port to 127.0.0.1:upstream. cut() closes every
    forwarded connection and refuses new ones (nothing listens on the port); heal() listens
    on the same port again. With `stall`, cut() instead stops forwarding, holding every
    connection open and every byte, as a partition the endpoints' kernels do not notice;
    heal() delivers what waited and forwards again."""

    def __init__(self, upstream, stall=False):
        self.upstream, self.stall = upstream, stall
        self.lock = threading.Lock()
        self.listener = None
        self.conns = set()
        self.flowing = threading.Event()
        self.flowing.set()
        self.port = 0
        self._listen()

    def heal(self):
        if self.stall:
            self.flowing.set()
        else:
            self._listen()

    def _listen(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + 5
        while True:
            try:
                listener.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if time.monotonic() > deadline:
                    listener.close()
                    raise
                time.sleep(0.05)
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self.lock:
            self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self):
        if self.stall:
            self.flowing.clear()
            return
        with self.lock:
            listener, self.listener = self.listener, None
            conns, self.conns = self.conns, set()
        if listener is not None:
            shut(listener)
        for sock in conns:
            shut(sock)

    def _accept(self, listener):
        try:
            while True:
                client, _ = listener.accept()
                threading.Thread(target=self._forward, args=(listener, client), daemon=True).start()
        except OSError:
            return
        finally:
            listener.close()

    def _forward(self, listener, client):
        self.flowing.wait()
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
        except OSError:
            client.close()
            return
        try:
            for sock in (client, upstream):
                # Small writes (a replica's ack) must not wait for Nagle and a delayed ACK.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            client.close()
            upstream.close()
            return
        with self.lock:
            live = self.listener is listener
            if live:
                self.conns.update((client, upstream))
        if not live:
            client.close()
            upstream.close()
            return
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                self.flowing.wait()
                data = src.recv(65536)
                if not data:
                    break
                self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            shut(dst)
            shut(src)
            with self.lock:
                self.conns.discard(src)
            src.close()


class ProxyProcess:
    """A Proxy in a child process of its own: in this one its threads would wait for the
    GIL behind the writers' (up to 5 ms a wake-up), and a WAIT's ack crosses it twice."""

    def __init__(self, upstream):
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.lock = threading.Lock()
        self.process = ctx.Process(target=serve_proxy, args=(upstream, child), daemon=True)
        self.process.start()
        self.port = self.conn.recv()

    def cut(self):
        self._ask("cut")

    def heal(self):
        self._ask("heal")

    def stop(self):
        if self.process.is_alive():
            self.process.kill()
        self.process.join()

    def _ask(self, what):
        with self.lock:
            self.conn.send(what)
            reply = self.conn.recv()
        if reply != "ok":
            raise RuntimeError("proxy %s: %s" % (what, reply))


def serve_proxy(upstream, conn):
    """The child's side: a Proxy that cuts and heals when asked; it ends with its parent."""
    proxy = Proxy(upstream, stall=CUT_KIND == "stall")
    conn.send(proxy.port)
    while True:
        try:
            what = conn.recv()
        except EOFError:
            return
        try:
            getattr(proxy, what)()
            conn.send("ok")
        except OSError as e:
            conn.send(repr(e))


class Writer(threading.Thread):
    """SETs prefix:N for N = 0, 1, ...; with `wait`, a write counts as acknowledged only
    once WAIT 1 says a replica holds it. Without `persist` it stops at the first error
    reply (the kill fault); with it, an error reply is counted and the next write follows
    1 ms later (a cut-off primary refuses writes, then may take them again), until stop()
    or the connection closes."""

    def __init__(self, port, prefix, wait, persist=False):
        super().__init__(daemon=True)
        self.port, self.prefix, self.wait, self.persist = port, prefix, wait, persist
        self.acked = []
        self.errors = 0
        self.started = self.last_ack = None
        self.stopping = threading.Event()

    def stop(self):
        self.stopping.set()
        self.join(10)

    def run(self):
        try:
            c = Resp(self.port, timeout=2.0)
            self.started = time.monotonic()
            for i in range(10**9):
                if self.stopping.is_set():
                    return
                try:
                    self.write(c, i)
                except RuntimeError:
                    if not self.persist:
                        return
                    self.errors += 1
                    time.sleep(0.001)
        except (OSError, ConnectionError):
            return

    def write(self, c, i):
        if c.call("SET", "%s:%d" % (self.prefix, i), i) != "OK":
            return
        if self.wait and c.call("WAIT", 1, 100) < 1:
            return
        self.acked.append(i)
        self.last_ack = time.monotonic()


class Group:
    """One side of the comparison: start() returns the primary's client port;
    primary_port() is the address the sentinels give for it; kill_primary(); with
    bus_cut, `proxy` stands between the primary and the rest of the group."""

    def __init__(self, work, safety=False, bus_cut=False):
        self.work, self.safety, self.bus_cut = work, safety, bus_cut
        self.procs = {}
        self.logs = []
        self.proxy = None

    def spawn(self, name, argv):
        log = open(os.path.join(self.work, name + ".log"), "w")
        self.logs.append(log)
        # rg-node and rg-sentinel read RG_* variables as settings (RG_OLD_BIN_DIR would be an
        # unknown one): the processes are configured by their flags alone.
        env = {k: v for k, v in os.environ.items() if not k.startswith("RG_")}
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)

    def stop(self):
        if self.proxy is not None:
            self.proxy.stop()
        for p in self.procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in self.logs:
            log.close()

    def keep_logs(self, why):
        """Copies the processes' logs out of the temp dir, which is about to go."""
        keep = tempfile.mkdtemp(prefix="failover-bench-")
        for name in self.procs:
            shutil.copy(os.path.join(self.work, name + ".log"), keep)
        print("failover-bench: %s; logs kept in %s" % (why, keep), file=sys.stderr)

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
    """With bus_cut, the replicas' `replicaof` and the sentinels' `monitor` name the proxy;
    the primary's INFO lists the replicas at their own ports, so the sentinels reach them
    directly."""

    name = "bench"

    def start(self):
        ports = [free_port() for _ in range(3)]
        master = ports[0]
        if self.bus_cut:
            self.proxy = ProxyProcess(ports[0])
            master = self.proxy.port
        self.node_of_port = {}
        for i, port in enumerate(ports):
            argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--dir", self.work]
            if self.safety:
                argv += ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "1"]
            if i:
                argv += ["--replicaof", "127.0.0.1", str(master)]
            self.spawn("redis%d" % i, argv)
            self.node_of_port[port] = "redis%d" % i
        for port in ports:
            wait_for("redis-server", lambda p=port: call(p, "PING") == "PONG")
        self.sentinel_ports = [free_port() for _ in range(3)]
        for i, port in enumerate(self.sentinel_ports):
            conf = os.path.join(self.work, "sentinel%d.conf" % i)
            with open(conf, "w") as f:
                f.write("port %d\nbind 127.0.0.1\ndir %s\n" % (port, self.work))
                f.write("sentinel monitor bench 127.0.0.1 %d 2\n" % master)
                f.write("sentinel down-after-milliseconds bench %d\n" % DOWN_AFTER_MS)
            self.spawn("sentinel%d" % i, ["redis-sentinel", conf])
        wait_for("Redis Sentinel to see 2 replicas and 2 other sentinels", self.ready)
        return ports[0]


class RgroupGroup(Group):
    """With bus_cut, n0 (the primary) reaches nats-server through the proxy; its client
    port, which the sentinels also PING, stays reachable. bin_dir: where rg-node and
    rg-sentinel are, if not the worktree's build."""

    name = "bench"

    def __init__(self, work, safety=False, bus_cut=False, bin_dir=None):
        super().__init__(work, safety, bus_cut)
        self.node_bin = os.path.join(bin_dir, "rg-node") if bin_dir else RG_NODE
        self.sentinel_bin = os.path.join(bin_dir, "rg-sentinel") if bin_dir else RG_SENTINEL

    def start(self):
        nats = free_port()
        self.spawn("nats", ["nats-server", "-a", "127.0.0.1", "-p", str(nats), "-js",
                            "-sd", os.path.join(self.work, "js")])
        url = "nats://127.0.0.1:%d" % nats
        wait_for("nats-server", lambda: socket.create_connection(("127.0.0.1", nats)).close() or True)
        primary_url = url
        if self.bus_cut:
            self.proxy = ProxyProcess(nats)
            primary_url = "nats://127.0.0.1:%d" % self.proxy.port
        ports = [free_port() for _ in range(3)]
        self.node_of_port = {}
        for i, port in enumerate(ports):
            self.spawn("n%d" % i, self.node_argv(i, port, primary_url if i == 0 else url))
            self.node_of_port[port] = "n%d" % i
        # Sentinels that hear the replicas name n0 before n0 (slower to reach the bus through
        # the proxy) take the empty n0 for a restarted primary and replace it at once.
        for port in ports[1:]:
            wait_for("replicas to sync from n0",
                     lambda p=port: info_replication(p)["master_link_status"] == "up")
        self.sentinel_ports = [free_port() for _ in range(3)]
        for i, port in enumerate(self.sentinel_ports):
            state = os.path.join(self.work, "s%d" % i)
            os.makedirs(state, exist_ok=True)
            self.spawn("s%d" % i, [self.sentinel_bin, "--id", "s%d" % i, "--nats-url", url,
                                   "--group", self.name, "--sentinels", "s0,s1,s2",
                                   "--down-after-ms", str(DOWN_AFTER_MS), "--port", str(port),
                                   "--state-dir", state, "--log-level", "info"])
        wait_for("rgroup's sentinels to see 2 replicas and 2 other sentinels",
                 lambda: self.ready() and self.primary_port() == ports[0])
        return ports[0]

    def node_argv(self, i, port, url):
        argv = [self.node_bin, "--port", str(port), "--nats-url", url, "--group", self.name,
                "--node-id", "n%d" % i, "--sentinels", "s0,s1,s2",
                "--log-level", "info" if self.bus_cut else "warn"]
        if self.safety:
            argv += ["--min-replicas-to-write", "1", "--min-replicas-max-lag-ms", "200"]
        if i:
            argv += ["--replicaof", "n0"]
        return argv


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
            if new is None:
                raise SystemExit("failover-bench: no failover within a minute of the kill")
            took = (time.monotonic() - killed) * 1000
            plain.join(5)
            waited.join(5)
            lost_plain = missing(new, "plain", plain.acked)
            lost_waited = missing(new, "waited", waited.acked)
            return took, lost_plain, lost_waited, len(plain.acked), len(waited.acked)
        finally:
            group.stop()


def first_write(group, old, seconds=60):
    """Asks every sentinel for the primary's address until one names a new primary, then
    writes there until a write succeeds (a client may ask any sentinel). None if that
    did not happen within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for port in group.sentinel_ports:
            try:
                _, new = call(port, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", group.name)
                new = int(new)
                if new != old and call(new, "SET", "after-failover", "1") == "OK":
                    return new
            except (OSError, RuntimeError, ConnectionError, TypeError, ValueError):
                pass
        time.sleep(POLL_S)
    return None


def missing(port, prefix, acked):
    c = Resp(port, timeout=5.0)
    try:
        lost = 0
        for at in range(0, len(acked), 1000):
            keys = ["%s:%d" % (prefix, i) for i in acked[at:at + 1000]]
            lost += sum(1 for v in c.call("MGET", *keys) if v is None)
        return lost
    finally:
        c.close()


def rejoined(old, new):
    """The old primary follows the new one over a live link and holds all it has."""
    target = int(info_replication(new)["master_repl_offset"])
    mine = info_replication(old)
    return (mine["role"] == "slave" and int(mine["master_port"]) == new
            and mine["master_link_status"] == "up"
            and int(mine["master_repl_offset"]) >= target)


def cut_trial(make, attempts=3):
    """One bus-cut trial on a fresh group; a group that does not come up (a port taken
    between free_port() and its bind, a stall of the loaded machine) is tried afresh."""
    for attempt in range(1, attempts + 1):
        with tempfile.TemporaryDirectory() as work:
            group = make(work)
            try:
                try:
                    primary = group.start()
                except SystemExit as e:
                    group.keep_logs("the group did not come up (%s), attempt %d" % (e, attempt))
                    if attempt == attempts:
                        raise
                    continue
                try:
                    result = cut_run(group, primary)
                except BaseException:
                    group.keep_logs("the trial failed")
                    raise
                if result["lost_waited"]:
                    group.keep_logs("WAIT-acknowledged writes lost")
                elif result["took"] is None or result["rejoin"] is None:
                    group.keep_logs("no failover or no rejoin")
                return result
            finally:
                group.stop()


def cut_run(group, primary):
    """Writers on the primary's client port; cut its proxy; first write on the new
    primary; heal after CUT_MS; wait for the old primary to rejoin; count losses."""
    announced = group.primary_port()
    wait_for("replicas in sync", lambda: call(primary, "WAIT", 2, 100) == 2)
    writers = [Writer(primary, "plain", False, True), Writer(primary, "waited", True, True)]
    for w in writers:
        w.start()
    time.sleep(1.0)
    group.proxy.cut()
    cut = time.monotonic()
    before = [len(w.acked) for w in writers]
    rates = [n / (cut - w.started) if w.started else 0.0 for n, w in zip(before, writers)]
    healer = threading.Timer(CUT_MS / 1000, group.proxy.heal)
    healer.start()
    # Once healed, a primary the sentinels have not yet replaced stays the primary.
    new = first_write(group, announced, CUT_MS / 1000 + 20)
    took = (time.monotonic() - cut) * 1000 if new is not None else None
    healer.join()
    rejoin = None
    if new is not None:
        since_heal = time.monotonic() - cut - CUT_MS / 1000
        waited = eventually(lambda: rejoined(primary, new), 60)
        rejoin = since_heal + waited if waited is not None else None
    for w in writers:
        w.stop()
    last = writers[0].last_ack
    return {"took": took, "rejoin": rejoin, "rates": rates,
            # 0 when the old primary acknowledged nothing after the cut.
            "last_ack": max((last or cut) - cut, 0) * 1000 if new is not None else None,
            "after_cut": [len(w.acked) - n for n, w in zip(before, writers)],
            "acked": [len(w.acked) for w in writers],
            "errors": [w.errors for w in writers],
            "lost_plain": missing(new, "plain", writers[0].acked) if new else None,
            "lost_waited": missing(new, "waited", writers[1].acked) if new else None}


def cut_configs():
    """(key, column heading, group factory) for each bus-cut configuration."""
    configs = [
        ("rg-with", "rgroup, min-replicas 1 / 200 ms",
         lambda w: RgroupGroup(w, safety=True, bus_cut=True)),
        ("rg-without", "rgroup, without", lambda w: RgroupGroup(w, bus_cut=True)),
    ]
    if RG_OLD_BIN_DIR:
        configs.append(("rg-before", "rgroup before, without",
                        lambda w: RgroupGroup(w, bus_cut=True, bin_dir=RG_OLD_BIN_DIR)))
    configs += [
        ("redis-with", "Redis, min-replicas 1 / 1 s",
         lambda w: RedisSentinelGroup(w, safety=True, bus_cut=True)),
        ("redis-without", "Redis, without", lambda w: RedisSentinelGroup(w, bus_cut=True)),
    ]
    return configs


def kill_bench():
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


def cut_bench():
    configs = cut_configs()
    results = {key: [] for key, _, _ in configs}
    for n in range(CUTS):
        for key, _, make in configs:
            r = cut_trial(make)
            results[key].append(r)
            print_cut(n, key, r)
    cut_table(configs, results)


def print_cut(n, key, r):
    took = "%7.0f ms" % r["took"] if r["took"] is not None else "no failover"
    lost = ["n/a" if n is None else n for n in (r["lost_plain"], r["lost_waited"])]
    rejoin = "%.1f s" % r["rejoin"] if r["rejoin"] is not None else "not within 60 s"
    print("buscut %d %-13s %s to first write; lost %s of %d plain, %s of %d waited; "
          "acked after the cut %d plain (the last %s after), %d waited; errors %d / %d; before the cut "
          "%.0f plain/s, %.0f waited/s; rejoined %s after the heal"
          % (n + 1, key, took, lost[0], r["acked"][0], lost[1], r["acked"][1],
             r["after_cut"][0], ms(r["last_ack"]), r["after_cut"][1], r["errors"][0], r["errors"][1],
             r["rates"][0], r["rates"][1], rejoin), file=sys.stderr)


def summarize(trials):
    """One configuration's trials as the bus-cut table's numbers (None where none applies)."""
    def some(field):
        return [r[field] for r in trials if r[field] is not None]

    def median(values):
        return statistics.median(values) if values else None

    took, lost = some("took"), some("lost_plain")
    # Without a failover the old primary stays the primary: what it took after is not lost.
    after_cut = [r["after_cut"][0] for r in trials if r["took"] is not None]
    return {
        "took": median(took),
        "detected": max(median(took) - DOWN_AFTER_MS, 1.0) if took else None,
        "lost": sum(lost),
        "lost_mean": statistics.mean(lost) if lost else None,
        "lost_range": (min(lost), max(lost)) if lost else (0, 0),
        "lost_waited": sum(some("lost_waited")),
        "after_cut": statistics.mean(after_cut) if after_cut else None,
        "last_ack": median(some("last_ack")),
        "rates": [statistics.median(r["rates"][i] for r in trials) for i in (0, 1)],
        "rejoin": median(some("rejoin")),
        "no_failover": sum(1 for r in trials if r["took"] is None),
        "no_rejoin": sum(1 for r in trials if r["took"] is not None and r["rejoin"] is None),
    }


def ms(x):
    return "%.0f ms" % x if x is not None else "n/a"


# (row label, cell text from a summary, summary field whose rgroup/Redis ratio is shown)
CUT_ROWS = [
    ("cut to first write on the new primary (median)", lambda s: ms(s["took"]), "took"),
    ("the same minus down-after", lambda s: ms(s["detected"]), "detected"),
    ("acknowledged plain SETs lost (total)", lambda s: "%d" % s["lost"], None),
    ("acknowledged plain SETs lost per cut (mean; min-max)",
     lambda s: "%.1f; %d-%d" % ((s["lost_mean"] or 0,) + s["lost_range"]), "lost_mean"),
    ("SET + WAIT 1 acknowledged, then lost (total)", lambda s: "%d" % s["lost_waited"], None),
    ("plain SETs the old primary acknowledged after the cut (mean per cut)",
     lambda s: "%.0f" % s["after_cut"] if s["after_cut"] is not None else "n/a", "after_cut"),
    ("the old primary's last acknowledged plain SET, after the cut (median)",
     lambda s: ms(s["last_ack"]), None),
    ("writer rates before the cut (median; plain / SET + WAIT 1)",
     lambda s: "%.0f / %.0f per s" % tuple(s["rates"]), None),
    ("old primary a caught-up replica, after the heal (median)",
     lambda s: "%.1f s" % s["rejoin"] if s["rejoin"] is not None else "n/a", None),
]


def cut_table(configs, results):
    s = {key: summarize(results[key]) for key, _, _ in configs}
    print("| bus cut (%s) %d ms, down-after %d ms, %d cuts each | %s | rgroup/Redis |"
          % (CUT_KIND, CUT_MS, DOWN_AFTER_MS, CUTS, " | ".join(h for _, h, _ in configs)))
    print("|" + " --- |" * (len(configs) + 2))
    for label, cell, field in CUT_ROWS:
        cells = " | ".join(cell(s[key]) for key, _, _ in configs)
        ratios = "" if field is None else "with %s; without %s" % (
            ratio(s["rg-with"][field], s["redis-with"][field]),
            ratio(s["rg-without"][field], s["redis-without"][field]))
        print("| %s | %s | %s |" % (label, cells, ratios))
    for field, what in (("no_failover", "no failover before the heal (left out of the rows above)"),
                        ("no_rejoin", "the old primary not a caught-up replica within 60 s")):
        counts = ", ".join("%s %d" % (key, s[key][field]) for key, _, _ in configs if s[key][field])
        if counts:
            print("\nCuts with %s: %s" % (what, counts))
    if "rg-before" in s:
        for field, what in (("lost_mean", "acknowledged plain SETs lost per bus cut"),
                            ("last_ack", "the old primary's last plain SET acknowledged after the cut")):
            print("\nrgroup, %s, after / before (%s): with the setting %s, without %s"
                  % (what, RG_OLD_BIN_DIR, ratio(s["rg-with"][field], s["rg-before"][field]),
                     ratio(s["rg-without"][field], s["rg-before"][field])))


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return "%.2f" % (a / b)


class Terminated(BaseException):
    """A SIGTERM: not a SystemExit, which a group that did not come up raises."""


def terminated(*_):
    raise Terminated()


def main():
    if FAULT not in ("kill", "buscut", "both"):
        raise SystemExit("failover-bench: FAULT is kill, buscut or both, not %r" % FAULT)
    if CUT_KIND not in ("close", "stall"):
        raise SystemExit("failover-bench: CUT_KIND is close or stall, not %r" % CUT_KIND)
    # A SIGTERM unwinds like an exception, so every trial's finally stops its processes.
    signal.signal(signal.SIGTERM, terminated)
    if FAULT in ("kill", "both"):
        kill_bench()
    if FAULT == "both":
        print()
    if FAULT in ("buscut", "both"):
        cut_bench()


if __name__ == "__main__":
    try:
        main()
    except Terminated:
        sys.exit(143)
