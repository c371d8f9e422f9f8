#!/usr/bin/env python3
# Process-level crash test: proves that `cairn load` keeps Cairn's durability contract
# (DESIGN.md section 1) when the process is killed with SIGKILL at an arbitrary instant.
#
# How: one database directory lives through every round. Each round starts
# `cairn load --db DIR --threads T` (T alternates between 1 and several), feeds it a stream of
# unique keys (the round number is part of each key; each value is a pure function of its key,
# a few of them several KB or tens of KB long) and reads its "ACK <key>" lines on a second
# thread. At a seeded random moment (right at start, after a short delay, or after a chosen
# number of ACKs; a few rounds instead run to completion) the child is killed with SIGKILL.
# Then `cairn verify` must pass on the crashed directory, `cairn dump` must show
#   - every key ever ACKed, with exactly its value;
#   - every key some earlier dump showed, with the same value (recovery never goes back);
#   - no key that was never sent, and no key of an earlier round that earlier dumps lacked;
#   - for a key sent but not ACKed (outcome unknown): either absent, or exactly its value;
# and `cairn verify` must pass again after that recovery. Every run prints its seed; the same
# seed replays the same rounds and kill choices (kill timing itself depends on the machine).
#
# Standard library only. Exit 0: every round passed. Exit 1: a check failed (the message names
# the seed, the round and what was wrong; the database directory is kept for inspection).
# Exit 2: bad arguments or the cairn program could not be run.

import argparse
import hashlib
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

KEY_RE = re.compile(r"^r(\d{3})\.(\d{6})$")
# Ceiling on keys offered to one killed round; the time limits below always kill it first.
KEYS_PER_ROUND_MAX = 200_000
# A killed round's child is killed by this many seconds at the latest, whatever its plan.
ROUND_KILL_DEADLINE_S = 3.0
# Limits on the commands that must finish by themselves; exceeding one is a failure (a hang).
COMPLETE_ROUND_TIMEOUT_S = 60.0
DUMP_TIMEOUT_S = 60.0
VERIFY_TIMEOUT_S = 60.0
# At most this many examples of one kind of mismatch are printed.
EXAMPLES_MAX = 10


class CheckFailure(Exception):
    """A broken durability promise or a misbehaving cairn command."""


def make_key(round_no, index):
    return "r%03d.%06d" % (round_no, index)


def expected_value(key):
    """The one value ever written for `key`: a function of the key alone, never with a tab or
    a newline. About 1 in 10 values is 1-8 KB and about 1 in 80 is 20-80 KB, so records span
    the WAL's internal boundaries; the rest are short."""
    digest = hashlib.sha256(key.encode()).digest()
    pick = digest[0]
    if pick < 3:
        size = 20_000 + int.from_bytes(digest[1:4], "little") % 60_000
    elif pick < 29:
        size = 1_000 + int.from_bytes(digest[1:4], "little") % 7_000
    else:
        size = 8 + digest[1] % 120
    prefix = key + "="
    filler = digest.hex()
    body = (filler * (size // len(filler) + 1))[: max(0, size - len(prefix))]
    return prefix + body


def parse_key(key):
    """(round, index) of a key this test writes, or None for any other string."""
    match = KEY_RE.match(key)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


class RoundPlan:
    """What one round does: how many writer threads, and when the child dies."""

    def __init__(self, rng, round_no, threads_max):
        # Even rounds use one writer thread; odd rounds several, so group commit is exercised.
        self.threads = 1 if round_no % 2 == 0 or threads_max == 1 else rng.randint(2, threads_max)
        roll = rng.random()
        self.kill_delay_s = None
        self.kill_after_acks = None
        self.key_count = KEYS_PER_ROUND_MAX
        if roll < 0.10:
            self.kind = "kill at start"
            self.kill_delay_s = 0.0
        elif roll < 0.30:
            self.kind = "kill early"
            self.kill_delay_s = rng.uniform(0.0, 0.02)
        elif roll < 0.55:
            self.kind = "kill after a delay"
            self.kill_delay_s = rng.uniform(0.02, 0.4)
        elif roll < 0.94:
            self.kind = "kill after ACKs"
            # Log-uniform over 1..3000: many rounds die after a handful of ACKs, some late.
            self.kill_after_acks = int(math.exp(rng.uniform(0.0, math.log(3000.0))))
        else:
            self.kind = "run to completion"
            self.key_count = rng.randint(1, 400)

    def describe(self):
        if self.kill_after_acks is not None:
            when = "%s (%d)" % (self.kind, self.kill_after_acks)
        elif self.kill_delay_s:
            when = "%s (%.0f ms)" % (self.kind, self.kill_delay_s * 1000)
        else:
            when = self.kind
        return "threads=%d, %s" % (self.threads, when)


class LoadChild:
    """One `cairn load` process, a thread feeding it keys and a thread collecting its ACKs."""

    def __init__(self, cairn, db_dir, round_no, plan, stderr_path):
        self.round_no = round_no
        self.plan = plan
        self.sent_count = 0  # Keys whose line may have reached the child (an upper bound).
        self.all_sent = False  # Every key was written and stdin was closed.
        self.acks = []
        self.protocol_errors = []  # Malformed output lines, seen by the ACK reader.
        self.ack_target_reached = threading.Event()
        self._lock = threading.Lock()
        self._stderr = open(stderr_path, "wb")
        self.proc = subprocess.Popen(
            [cairn, "load", "--db", db_dir, "--threads", str(plan.threads)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr)
        self._feeder = threading.Thread(target=self._feed, daemon=True)
        self._reader = threading.Thread(target=self._read_acks, daemon=True)
        self._feeder.start()
        self._reader.start()

    def _feed(self):
        chunk_keys = 8
        try:
            index = 0
            while index < self.plan.key_count:
                end = min(index + chunk_keys, self.plan.key_count)
                data = "".join("%s\t%s\n" % (k, expected_value(k))
                               for k in (make_key(self.round_no, i) for i in range(index, end)))
                # Counted before the write: once write() starts, the child may read the lines.
                self.sent_count = end
                self.proc.stdin.write(data.encode())
                self.proc.stdin.flush()
                index = end
            self.proc.stdin.close()
            self.all_sent = True
        except (BrokenPipeError, ValueError, OSError):
            pass  # The child died; whatever it read is accounted for by sent_count.

    def _read_acks(self):
        target = self.plan.kill_after_acks
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                if line.startswith("ACK ") and raw.endswith(b"\n"):
                    self.acks.append(line[4:])
                else:
                    self.protocol_errors.append(line)
                if target is not None and len(self.acks) >= target:
                    self.ack_target_reached.set()
        self.ack_target_reached.set()  # EOF: the child is gone, nothing more to wait for.

    def run(self):
        """Kills the child as planned (or lets it finish) and returns its exit code."""
        plan = self.plan
        if plan.kind == "run to completion":
            try:
                return self._finish(self.proc.wait(timeout=COMPLETE_ROUND_TIMEOUT_S))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self._finish(self.proc.wait())
                raise CheckFailure("cairn load did not finish %d keys within %.0f s" %
                                   (plan.key_count, COMPLETE_ROUND_TIMEOUT_S))
        if plan.kill_after_acks is not None:
            self.ack_target_reached.wait(timeout=ROUND_KILL_DEADLINE_S)
        elif plan.kill_delay_s:
            time.sleep(min(plan.kill_delay_s, ROUND_KILL_DEADLINE_S))
        self.proc.kill()  # SIGKILL; a no-op if the child already exited.
        return self._finish(self.proc.wait())

    def _finish(self, returncode):
        # The child is dead, so every ACK it printed is already in the pipe: read to EOF.
        self._reader.join()
        self._feeder.join()
        self._stderr.close()
        return returncode


def run_command(args, what, timeout_s):
    try:
        done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise CheckFailure("%s did not finish within %.0f s (hang?)" % (what, timeout_s))
    return done


def run_verify(cairn, db_dir, when):
    done = run_command([cairn, "verify", "--db", db_dir], "cairn verify (%s)" % when,
                       VERIFY_TIMEOUT_S)
    if done.returncode != 0:
        raise CheckFailure(
            "cairn verify (%s) exited %d, expected 0\n--- stdout\n%s--- stderr\n%s" %
            (when, done.returncode, done.stdout.decode("utf-8", "replace"),
             done.stderr.decode("utf-8", "replace")))


def run_dump(cairn, db_dir):
    """The database's contents as {key: value}, checked to be well-formed and sorted."""
    done = run_command([cairn, "dump", "--db", db_dir], "cairn dump", DUMP_TIMEOUT_S)
    if done.returncode != 0:
        raise CheckFailure("cairn dump exited %d\n--- stderr\n%s" %
                           (done.returncode, done.stderr.decode("utf-8", "replace")))
    text = done.stdout.decode("utf-8", "replace")
    if text and not text.endswith("\n"):
        raise CheckFailure("cairn dump output does not end with a newline")
    contents = {}
    previous_key = None
    for line_no, line in enumerate(text.splitlines(), 1):
        key, tab, value = line.partition("\t")
        if not tab:
            raise CheckFailure("cairn dump line %d has no tab: %.100r" % (line_no, line))
        if previous_key is not None and key <= previous_key:
            raise CheckFailure("cairn dump line %d: key %r is not after %r (unsorted or "
                               "duplicate)" % (line_no, key, previous_key))
        previous_key = key
        contents[key] = value
    return contents


def examples(items):
    items = sorted(items)
    shown = ", ".join(items[:EXAMPLES_MAX])
    more = len(items) - EXAMPLES_MAX
    return shown + (" ... and %d more" % more if more > 0 else "")


def check_acks(child):
    """ACK lines must be well-formed, unique, and name keys that were sent this round."""
    problems = []
    if child.protocol_errors:
        problems.append("cairn load printed lines that are not 'ACK <key>': " +
                        examples(repr(l) for l in child.protocol_errors))
    seen = set()
    for key in child.acks:
        parsed = parse_key(key)
        if parsed is None or parsed[0] != child.round_no or parsed[1] >= child.sent_count:
            problems.append("ACK for a key that was never sent this round: %r" % key)
        elif key in seen:
            problems.append("duplicate ACK for %r" % key)
        seen.add(key)
    return problems


def check_dump(dump, previous, acked, round_no, sent_count):
    """Compares a dump after round `round_no` with what must and what may be there."""
    problems = []
    missing_acked = [k for k in acked if k not in dump]
    if missing_acked:
        problems.append("%d ACKed keys are missing: %s" %
                        (len(missing_acked), examples(missing_acked)))
    vanished = [k for k in previous if k not in dump]
    if vanished:
        problems.append("%d keys seen in the previous dump have vanished: %s" %
                        (len(vanished), examples(vanished)))
    wrong_value, phantom, resurrected = [], [], []
    for key, value in dump.items():
        parsed = parse_key(key)
        if parsed is None or parsed[0] > round_no or (
                parsed[0] == round_no and parsed[1] >= sent_count):
            phantom.append(key)
            continue
        if parsed[0] < round_no and key not in previous:
            resurrected.append(key)
        if value != expected_value(key):
            wrong_value.append(key)
    if phantom:
        problems.append("%d keys were never sent: %s" % (len(phantom), examples(phantom)))
    if resurrected:
        problems.append("%d keys of earlier rounds appeared although earlier dumps lacked "
                        "them: %s" % (len(resurrected), examples(resurrected)))
    if wrong_value:
        key = sorted(wrong_value)[0]
        problems.append("%d keys have a wrong value: %s\n  first: %r\n  want %.200r (%d bytes)"
                        "\n  got  %.200r (%d bytes)" %
                        (len(wrong_value), examples(wrong_value), key, expected_value(key),
                         len(expected_value(key)), dump[key], len(dump[key])))
    return problems


def describe_directory(db_dir, stderr_path):
    """Everything needed to diagnose a failure: the files, the LOG, the child's stderr."""
    out = ["--- ls -la %s" % db_dir]
    try:
        out.append(subprocess.run(["ls", "-la", db_dir], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT).stdout.decode())
    except OSError as e:
        out.append("(ls failed: %s)" % e)
    for name in ("LOG.old", "LOG"):
        path = os.path.join(db_dir, name)
        if os.path.exists(path):
            with open(path, "r", errors="replace") as f:
                out.append("--- %s\n%s" % (path, f.read()))
    if stderr_path and os.path.exists(stderr_path):
        with open(stderr_path, "r", errors="replace") as f:
            out.append("--- stderr of the last cairn load\n%s" % f.read())
    return "\n".join(out)


def run_round(args, rng, round_no, db_dir, stderr_path, state):
    plan = RoundPlan(rng, round_no, args.threads)
    started = time.monotonic()
    child = LoadChild(args.cairn, db_dir, round_no, plan, stderr_path)
    state["plan"] = plan.describe()
    returncode = child.run()
    problems = check_acks(child)
    if returncode == 0:
        # It finished by itself, so every key must have been sent and ACKed.
        if not child.all_sent or len(set(child.acks)) != child.sent_count:
            problems.append("cairn load exited 0 after ACKing %d of %d keys sent" %
                            (len(set(child.acks)), child.sent_count))
    elif returncode != -9:
        with open(stderr_path, "r", errors="replace") as f:
            problems.append("cairn load exited with status %d before it was killed:\n%s" %
                            (returncode, f.read()))
    if problems:
        raise CheckFailure("\n".join(problems))

    state["acked"].update(child.acks)
    if os.path.isdir(db_dir):  # A kill at start may come before the directory exists.
        run_verify(args.cairn, db_dir, "on the killed database, before any reopen")
    dump = run_dump(args.cairn, db_dir)
    problems = check_dump(dump, state["previous"], state["acked"], round_no, child.sent_count)
    if problems:
        raise CheckFailure("\n".join(problems))
    run_verify(args.cairn, db_dir, "after the dump's recovery")
    new_keys = len(dump) - len(state["previous"])
    state["previous"] = dump
    print("round %3d: %-38s sent<=%-6d acked=%-5d +%d unACKed kept, %d keys total, %.2f s" %
          (round_no, plan.describe(), child.sent_count, len(child.acks),
           new_keys - len(child.acks), len(dump), time.monotonic() - started), flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__ or "kill -9 test for cairn load")
    parser.add_argument("--cairn", default=shutil.which("cairn") or "cairn",
                        help="path to the cairn program")
    parser.add_argument("--rounds", type=int, default=50, help="kill rounds (default 50)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--threads", type=int, default=8,
                        help="most writer threads a round uses (odd rounds use 2..N)")
    parser.add_argument("--dir", default=None,
                        help="parent directory for the test's database (default: system temp)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the database directory even when the test passes")
    parser.add_argument("--max-seconds", type=float, default=240.0,
                        help="start no new round after this long (default 240)")
    args = parser.parse_args()
    if args.rounds < 1 or not 1 <= args.threads <= 256 or args.rounds > 999:
        parser.error("need 1 <= --rounds <= 999 and 1 <= --threads <= 256")
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "little")
    return args


def main():
    args = parse_args()
    print("crash_process_test: seed=%d rounds=%d threads<=%d cairn=%s" %
          (args.seed, args.rounds, args.threads, args.cairn), flush=True)
    if not os.access(args.cairn, os.X_OK):
        print("crash_process_test: cannot run the cairn program %r" % args.cairn,
              file=sys.stderr)
        return 2
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
    work_dir = tempfile.mkdtemp(prefix="kill9-seed%d-" % args.seed, dir=args.dir)
    db_dir = os.path.join(work_dir, "db")
    stderr_path = os.path.join(work_dir, "load.stderr")
    rng = random.Random(args.seed)
    state = {"acked": set(), "previous": {}, "plan": ""}
    started = time.monotonic()
    round_no = 0
    rounds_done = 0
    try:
        for round_no in range(args.rounds):
            if time.monotonic() - started > args.max_seconds:
                print("crash_process_test: WARNING: stopped after %d of %d rounds: the %.0f s "
                      "budget is spent (slow machine?)" % (round_no, args.rounds,
                                                           args.max_seconds), flush=True)
                break
            run_round(args, rng, round_no, db_dir, stderr_path, state)
            rounds_done += 1
    except CheckFailure as failure:
        print("\nFAILED: seed=%d round=%d (%s)\n%s\n\n%s\n\ndatabase kept in %s\n"
              "replay: %s --cairn %s --rounds %d --seed %d --threads %d" %
              (args.seed, round_no, state["plan"], failure,
               describe_directory(db_dir, stderr_path), work_dir, sys.argv[0], args.cairn,
               round_no + 1, args.seed, args.threads), file=sys.stderr)
        return 1
    print("crash_process_test: PASSED seed=%d: %d rounds, %d keys ACKed, %d keys in the "
          "database, %.1f s" % (args.seed, rounds_done, len(state["acked"]),
                                len(state["previous"]), time.monotonic() - started))
    if not args.keep:
        shutil.rmtree(work_dir, ignore_errors=True)
    else:
        print("database kept in %s" % work_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
