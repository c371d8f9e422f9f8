#!/usr/bin/env python3
# SIGKILL test of `cairn serve`: proves that a write the server acknowledged is durable in
# the sense a process kill can test: after `kill -9` of the server under a concurrent write
# load and a restart on the same directory, every acknowledged SET is present with exactly its
# value, and a SET sent but not acknowledged is either absent or has exactly its value.
#
# How: each round starts the server (durable mode), runs T client threads, each with its own
# connection sending SETs of distinct keys (round, thread, index) in small pipelined bursts and
# recording every "+OK" it reads; after a seeded random delay the server is killed with
# SIGKILL. The next round restarts it and reads back every key ever sent (MGET in batches)
# before writing more. Every run prints its seed; --seed replays the same choices.
#
# Usage: kill9_test.py --cairn PATH [--rounds N] [--threads T] [--seed N]

import argparse
import os
import random
import signal
import sys
import threading
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverutil import Client, ServerProcess, TempRoot, encode  # noqa: E402

# SETs a client pipelines before reading their replies.
BURST_MAX = 8
# Keys read back per MGET.
MGET_BATCH = 500


def value_of(key):
    """Each key's one value: a function of the key alone; some values are a few KB."""
    h = zlib.crc32(key) & 0xFFFF
    return (key * (1 + h % 97)) if h % 10 == 0 else key + b"=v"


def writer(port, round_no, thread_no, stop, acked, sent, rng_seed):
    rng = random.Random(rng_seed)
    try:
        c = Client(port, timeout=10)
        i = 0
        while not stop.is_set():
            burst = rng.randint(1, BURST_MAX)
            keys = [b"r%03d.t%02d.%07d" % (round_no, thread_no, i + j) for j in range(burst)]
            i += burst
            sent.extend(keys)
            c.send_raw(b"".join(encode(b"SET", k, value_of(k)) for k in keys))
            for k in keys:
                if c.read_reply() != b"OK":
                    raise RuntimeError("SET %r not OK" % k)
                acked.append(k)
    except (OSError, ConnectionError):
        pass  # the server was killed


def verify(port, acked, sent):
    """Returns a list of problems: acknowledged keys missing or wrong, sent keys wrong."""
    problems = []
    acked_set = set(acked)
    c = Client(port, timeout=60)
    keys = list(sent)
    for start in range(0, len(keys), MGET_BATCH):
        batch = keys[start:start + MGET_BATCH]
        values = c.call(b"MGET", *batch)
        for key, value in zip(batch, values):
            if value is None:
                if key in acked_set:
                    problems.append("acknowledged key %r is missing" % key)
            elif value != value_of(key):
                problems.append("key %r has a wrong value" % key)
    c.close()
    return problems


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cairn", required=True)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print("seed", seed, flush=True)
    rng = random.Random(seed)
    all_acked, all_sent = [], []
    with TempRoot("cairn-serve-kill9-") as root:
        db = os.path.join(root.path, "db")
        for round_no in range(args.rounds):
            server = ServerProcess(args.cairn, db, log_name="round%d.log" % round_no).start()
            problems = verify(server.port, all_acked, all_sent)
            if problems:
                root.keep = True
                print("FAIL seed %d round %d: %d problems, e.g. %s" %
                      (seed, round_no, len(problems), problems[:5]))
                server.kill()
                return 1
            stop = threading.Event()
            acked, sent = [], []
            threads = [threading.Thread(target=writer, args=(server.port, round_no, t, stop,
                                                               acked, sent, rng.random()))
                       for t in range(args.threads)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.05, 1.5))
            server.proc.send_signal(signal.SIGKILL)
            server.proc.wait()
            stop.set()
            for t in threads:
                t.join()
            print("round %d: %d sent, %d acknowledged, then SIGKILL" %
                  (round_no, len(sent), len(acked)), flush=True)
            all_acked += acked
            all_sent += sent
        server = ServerProcess(args.cairn, db, log_name="final.log").start()
        problems = verify(server.port, all_acked, all_sent)
        code = server.stop()
        if problems or code != 0:
            root.keep = True
            print("FAIL seed %d final check: exit %d, %d problems, e.g. %s" %
                  (seed, code, len(problems), problems[:5]))
            return 1
    print("PASS: %d acknowledged SETs all present after %d kills" % (len(all_acked), args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
