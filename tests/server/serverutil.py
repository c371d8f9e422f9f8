"""Shared helpers for the `cairn serve` integration tests: start the server on a free port in
a temporary directory, a minimal RESP client over a raw socket, and redis-cli calls.

Standard library only."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 20.0


class ServerProcess:
    """A running `cairn serve`; .port, .dir, .log_path. Stop with stop() or kill()."""

    def __init__(self, cairn, db_dir, extra_args=(), log_name="server.log"):
        self.cairn = cairn
        self.dir = db_dir
        self.extra_args = list(extra_args)
        self.log_path = os.path.join(os.path.dirname(db_dir), log_name)
        self.port_file = db_dir + ".port"
        self.proc = None
        self.port = None

    def start(self):
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.cairn, "serve", "--db", self.dir, "--port", "0",
             "--port-file", self.port_file] + self.extra_args,
            stdout=log, stderr=log)
        log.close()
        deadline = time.time() + START_TIMEOUT_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("cairn serve exited with %d; log:\n%s" %
                                   (self.proc.returncode, self.log()))
            if os.path.exists(self.port_file):
                with open(self.port_file) as f:
                    self.port = int(f.read().strip())
                return self
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("cairn serve did not start; log:\n" + self.log())

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` and waits; returns the exit code."""
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=STOP_TIMEOUT_S)

    def kill(self):
        if self.alive():
            self.proc.kill()
        if self.proc is not None:
            self.proc.wait(timeout=STOP_TIMEOUT_S)


class TempRoot:
    """A temporary directory removed on exit unless keep is set (kept on failure)."""

    def __init__(self, prefix):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self.keep = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None and not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            print("kept", self.path)


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespError(Exception):
    pass


class Client:
    """A blocking RESP client on a raw socket. Replies: bytes, int, None, list, dict (RESP3
    maps), or RespError instances (returned, not raised)."""

    def __init__(self, port, timeout=20.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def call(self, *args):
        self.send_raw(encode(*args))
        return self.read_reply()

    def _fill(self):
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read_reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest
        if kind == b"-":
            return RespError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"_":
            return None
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read_reply() for _ in range(n)]
        if kind == b"%":
            n = int(rest)
            items = [self.read_reply() for _ in range(2 * n)]
            return dict(zip(items[0::2], items[1::2]))
        raise ValueError("bad reply line %r" % line)

    def closed_by_server(self, wait_s=5.0):
        """True if the server closes the connection (EOF) within wait_s."""
        self.sock.settimeout(wait_s)
        try:
            while True:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    return True
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True


def redis_cli(port, *args, stdin=None, extra=()):
    """Runs redis-cli against the server; returns stdout as text (raises on a non-zero exit)."""
    cmd = ["redis-cli", "-p", str(port)] + list(extra) + [str(a) for a in args]
    result = subprocess.run(cmd, input=stdin, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError("%s failed: %s %s" % (cmd, result.stdout, result.stderr))
    return result.stdout.decode(errors="replace")
