#!/usr/bin/env python3
"""Replication lag as a client sees it: write a key on the primary, poll a replica until the
value is visible, while a background load writes to the primary at a fixed rate.

usage: lag_probe.py PRIMARY_PORT REPLICA_PORT LOAD_OPS_PER_SEC SAMPLES
Prints: "p50_ms p99_ms achieved_load_ops_per_sec". Plain sockets, no client library.
"""
import socket
import sys
import threading
import time


def command(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        line = self.line()
        if line[:1] == b"$":
            size = int(line[1:])
            if size < 0:
                return None
            while len(self.buf) < size + 2:
                self.buf += self.sock.recv(65536)
            value, self.buf = self.buf[:size], self.buf[size + 2:]
            return value
        return line

    def call(self, *args):
        self.sock.sendall(command(*args))
        return self.reply()


def load(port, rate, stop, done):
    conn = Conn(port)
    batch = max(1, rate // 1000)
    sent = 0
    start = time.perf_counter()
    while not stop.is_set():
        payload = b"".join(command("SET", "load:%d" % ((sent + i) % 100000), "x") for i in range(batch))
        conn.sock.sendall(payload)
        for _ in range(batch):
            conn.reply()
        sent += batch
        ahead = sent / rate - (time.perf_counter() - start)
        if ahead > 0:
            time.sleep(ahead)
    done.append(sent / (time.perf_counter() - start))


def main():
    primary, replica, rate, samples = (int(a) for a in sys.argv[1:5])
    stop, done = threading.Event(), []
    loader = threading.Thread(target=load, args=(primary, rate, stop, done))
    loader.start()
    writer, reader = Conn(primary), Conn(replica)
    lags = []
    for i in range(samples):
        value = b"v%d" % i
        started = time.perf_counter()
        writer.call("SET", "probe", value)
        while reader.call("GET", "probe") != value:
            pass
        lags.append((time.perf_counter() - started) * 1000)
        time.sleep(0.002)
    stop.set()
    loader.join()
    lags.sort()
    p50 = lags[len(lags) // 2]
    p99 = lags[min(len(lags) - 1, int(len(lags) * 0.99))]
    print("%.3f %.3f %.0f" % (p50, p99, done[0] if done else 0))


if __name__ == "__main__":
    main()
