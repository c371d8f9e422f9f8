#!/usr/bin/env python3
# crashtest.py: kill cairn-stress again and again on one database and verify after every
# restart that nothing acknowledged was lost and nothing unwritten appeared (docs/stress.md).
#
# Each cycle starts `cairn-stress --db DIR --seed S ...` with a fresh seed and random choices
# (threads, share of synced writes, reopen interval), then:
#   blackbox  sends SIGKILL after a random 0.2 to --max-kill-seconds seconds;
#   whitebox  runs it with --kill-odds N, so a KillPointEnv kills it at a named point before
#             or after some create, sync, close, rename, remove or dir sync (logged to
#             DIR.killpoints); if none fired within the run's duration it exits by itself;
#   mixed     alternates the two.
# Then it copies the database and its oracle aside (so a failure can be replayed on the exact
# state) and runs `cairn-stress --db DIR --verify-only`, which must pass. The next cycle
# continues on the same database.
#
# Ends with the line
#   crashtest: N kill/restart cycles, M operations verified, F failures
# (M: operations whose outcome a verification covered, counted by the oracle). Exit 0 when F
# is 0; 1 on a failure, after printing the cycle's seed, its command, the replay command and
# the kept directory; 2 for bad arguments or a missing binary. Standard library only.

import argparse
import collections
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

# A verification (open + full scan + a Get per key) that takes longer than this is a hang.
VERIFY_TIMEOUT_S = 180.0
# A whitebox run gets its --duration plus this long to end by itself before it counts as hung.
RUN_GRACE_S = 120.0
# A whitebox run's --duration: long enough for flushes, compactions and reopens to happen
# before a kill point fires, short enough that a run where none fires still ends soon.
WHITEBOX_RUN_S = 20.0

VERIFIED_RE = re.compile(r"operations-verified=(\d+)")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--stress", required=True, help="path of the cairn-stress binary")
    p.add_argument("--dir", help="work directory (default: a new temporary one)")
    p.add_argument("--duration", type=float, default=600.0, help="seconds to run")
    p.add_argument("--scale-from-env", action="store_true",
                   help="multiply --duration by $CAIRN_TEST_SCALE (sanitizer builds)")
    p.add_argument("--mode", choices=["blackbox", "whitebox", "mixed"], default="blackbox")
    p.add_argument("--seed", type=int, help="seed of the driver's choices (default: fresh)")
    p.add_argument("--max-kill-seconds", type=float, default=4.0,
                   help="blackbox: longest run before SIGKILL")
    p.add_argument("--kill-odds", type=int, default=16000,
                   help="whitebox: odds 1/N at each WAL sync kill point (others: 16x likelier)")
    p.add_argument("--keys", type=int, default=10000)
    p.add_argument("--keep", action="store_true", help="keep the work directory on success")
    return p.parse_args()


class Crashtest:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.work = args.dir or tempfile.mkdtemp(prefix="cairn-crashtest-")
        os.makedirs(self.work, exist_ok=True)
        self.db = os.path.join(self.work, "db")
        self.kept = os.path.join(self.work, "before-verify")
        self.log_path = os.path.join(self.work, "last-run.log")
        self.cycles = 0
        self.kills_by_mode = collections.Counter()
        self.clean_exits = 0
        self.verified = 0
        self.failures = 0

    def stress_command(self, seed, mode, run_s):
        a = self.args
        cmd = [a.stress, "--db", self.db, "--keys", str(a.keys), "--seed", str(seed),
               "--threads", str(self.rng.choice([1, 2, 4, 8])),
               "--sync-percent", str(self.rng.choice([0, 10, 50, 100])),
               "--reopen-every", str(self.rng.choice([0, 0, 1000, 5000])),
               "--duration", "%.1f" % run_s]
        if mode == "whitebox":
            cmd += ["--kill-odds", str(a.kill_odds)]
        return cmd

    def fail(self, what, cmd, output):
        self.failures += 1
        with open(os.path.join(self.work, "FAILED"), "w") as marker:
            marker.write(what + "\n" + " ".join(cmd) + "\n")
        print("crashtest FAILURE in cycle %d: %s" % (self.cycles, what))
        print("  cycle command: %s" % " ".join(cmd))
        print("  driver replay: %s --seed %d (same choices; kill timing differs)" %
              (" ".join(sys.argv), self.args.seed))
        print("  replay the failing verification exactly:")
        print("    %s --db %s --keys %d --verify-only" % (self.args.stress, self.kept,
                                                          self.args.keys))
        print("  kept: %s (the state before verification) and %s" % (self.kept, self.db))
        print("  output:\n" + "\n".join("    " + l for l in output.splitlines()[-40:]))
        sys.stdout.flush()

    def run_cycle(self, mode, remaining_s):
        seed = self.rng.getrandbits(63)
        if mode == "blackbox":
            kill_after = min(self.rng.uniform(0.2, self.args.max_kill_seconds), remaining_s)
            cmd = self.stress_command(seed, mode, kill_after + 60)
        else:
            kill_after = None
            cmd = self.stress_command(seed, mode, min(WHITEBOX_RUN_S, max(1.0, remaining_s)))
        with open(self.log_path, "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
            try:
                proc.wait(timeout=kill_after if kill_after is not None
                          else WHITEBOX_RUN_S + RUN_GRACE_S)
            except subprocess.TimeoutExpired:
                proc.kill()  # SIGKILL
                proc.wait()
                if kill_after is None:
                    self.fail("whitebox run hung", cmd, open(self.log_path).read())
                    return False
        output = open(self.log_path).read()
        if proc.returncode == -9:
            self.cycles += 1
            self.kills_by_mode[mode] += 1
        elif proc.returncode == 0:
            self.clean_exits += 1
        else:
            self.fail("cairn-stress exited with %d" % proc.returncode, cmd, output)
            return False
        return self.verify(cmd)

    def verify(self, cycle_cmd):
        for suffix in ("", ".expected"):
            target = self.kept + suffix
            if os.path.isdir(target):
                shutil.rmtree(target)
            elif os.path.exists(target):
                os.remove(target)
        if os.path.isdir(self.db):
            shutil.copytree(self.db, self.kept)
        if os.path.exists(self.db + ".expected"):
            shutil.copy2(self.db + ".expected", self.kept + ".expected")
        cmd = [self.args.stress, "--db", self.db, "--keys", str(self.args.keys), "--verify-only"]
        try:
            result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, timeout=VERIFY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.fail("verification hung", cycle_cmd, "")
            return False
        if result.returncode != 0:
            self.fail("verification after restart failed (exit %d)" % result.returncode,
                      cycle_cmd, open(self.log_path).read() + result.stdout)
            return False
        found = VERIFIED_RE.findall(result.stdout)
        if found:
            self.verified = int(found[-1])
        return True

    def kill_point_counts(self):
        path = self.db + ".killpoints"
        counts = collections.Counter()
        if os.path.exists(path):
            for line in open(path):
                parts = line.split()
                if len(parts) >= 2 and parts[0] == "kill-point":
                    counts[parts[1]] += 1
        return counts

    def run(self):
        a = self.args
        duration = a.duration
        if a.scale_from_env:
            duration *= float(os.environ.get("CAIRN_TEST_SCALE", "1"))
        print("crashtest: mode %s, %.0f s, seed %d, work directory %s" %
              (a.mode, duration, a.seed, self.work))
        sys.stdout.flush()
        end = time.monotonic() + duration
        turn = 0
        while time.monotonic() < end:
            mode = a.mode if a.mode != "mixed" else ("blackbox", "whitebox")[turn % 2]
            turn += 1
            if not self.run_cycle(mode, end - time.monotonic()):
                break
        counts = self.kill_point_counts()
        if counts:
            print("kill points fired (%d): %s" % (sum(counts.values()), ", ".join(
                "%s=%d" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1]))))
        print("runs: %d killed (%s), %d ended by themselves" % (
            self.cycles, ", ".join("%s=%d" % kv for kv in sorted(self.kills_by_mode.items())),
            self.clean_exits))
        print("crashtest: %d kill/restart cycles, %d operations verified, %d failures" %
              (self.cycles, self.verified, self.failures))
        sys.stdout.flush()
        if self.failures == 0 and not a.keep and not a.dir:
            shutil.rmtree(self.work, ignore_errors=True)
        return 0 if self.failures == 0 else 1


def main():
    args = parse_args()
    if not os.access(args.stress, os.X_OK):
        print("crashtest: %s is not an executable" % args.stress, file=sys.stderr)
        return 2
    if args.seed is None:
        args.seed = random.SystemRandom().getrandbits(48)
    if args.dir and os.path.exists(args.dir):
        # A fresh database each run. The directory of an earlier failure is moved aside, never
        # deleted.
        if os.path.exists(os.path.join(args.dir, "FAILED")):
            aside = "%s.failed-%d" % (args.dir.rstrip("/"), int(time.time()))
            os.rename(args.dir, aside)
            print("crashtest: the earlier failure's directory is now %s" % aside)
        else:
            shutil.rmtree(args.dir)
    return Crashtest(args).run()


if __name__ == "__main__":
    sys.exit(main())
