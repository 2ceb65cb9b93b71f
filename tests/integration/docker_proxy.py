#!/usr/bin/env python3
"""docker_proxy.py - a unix-socket proxy in front of the Docker engine that
injects the faults an engine shows when it restarts or is overloaded.

    docker_proxy.py LISTEN_SOCKET UPSTREAM_SOCKET CONTROL_FILE

Each new connection reads CONTROL_FILE (one line, re-read every time):
    ""            pass everything through
    reset N       close the next N connections without an answer, then pass
    500 N         answer the next N requests with HTTP 500, then pass
    500           answer every request with HTTP 500 (an engine that is broken)
    down S        refuse connections for S seconds (the socket is gone), as
                  a dockerd restart does, then listen again
The proxy appends one line per injected fault to CONTROL_FILE + ".log".
"""
import os
import socket
import sys
import threading
import time

listen_path, upstream_path, control = sys.argv[1:4]
lock = threading.Lock()


def log(what):
    with open(control + ".log", "a") as f:
        f.write(what + "\n")


def take_fault():
    """The fault for this connection, counting it down; None: pass."""
    with lock:
        try:
            words = open(control).read().split()
        except OSError:
            return None
        if not words:
            return None
        kind = words[0]
        if kind == "500" and len(words) == 1:
            return "500"
        n = int(words[1]) if len(words) > 1 else 0
        if kind == "down":
            open(control, "w").close()
            return ("down", n)
        if n <= 0:
            return None
        with open(control, "w") as f:
            f.write("%s %d\n" % (kind, n - 1) if n > 1 else "")
        return kind


def pump(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def read_request_head(c):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 1 << 20:
        b = c.recv(65536)
        if not b:
            break
        data += b
    return data


def serve(c, fault):
    if fault == "reset":
        log("reset")
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()
        return
    if fault == "500":
        head = read_request_head(c)
        log("500 " + head.split(b"\r\n", 1)[0].decode("latin-1"))
        body = b'{"message":"injected by docker_proxy.py"}'
        c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        c.close()
        return
    u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        u.connect(upstream_path)
    except OSError:
        c.close()
        return
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
    pump(c, u)


def listen():
    try:
        os.unlink(listen_path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(listen_path)
    s.listen(128)
    return s


srv = listen()
while True:
    c, _ = srv.accept()
    fault = take_fault()
    if isinstance(fault, tuple):
        log("down %d" % fault[1])
        c.close()
        srv.close()
        os.unlink(listen_path)
        time.sleep(fault[1])
        srv = listen()
        continue
    threading.Thread(target=serve, args=(c, fault), daemon=True).start()
