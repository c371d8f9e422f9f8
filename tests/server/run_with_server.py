#!/usr/bin/env python3
# Starts `cairn serve` on a free port in a temporary directory, runs a program with the port
# as its last argument, stops the server with SIGTERM and checks it exits cleanly. Exits with
# the program's status (or 1 if the server misbehaved).
#
# Usage: run_with_server.py --cairn PATH -- PROGRAM [ARGS...]

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from serverutil import ServerProcess, TempRoot  # noqa: E402

PROGRAM_TIMEOUT_S = 120


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cairn", required=True)
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    program = [a for a in args.program if a != "--"]
    with TempRoot("cairn-serve-run-") as root:
        server = ServerProcess(args.cairn, os.path.join(root.path, "db")).start()
        try:
            code = subprocess.run(program + [str(server.port)], timeout=PROGRAM_TIMEOUT_S).returncode
        finally:
            alive = server.alive()
            exit_code = server.stop() if alive else server.proc.returncode
        if not alive or exit_code != 0:
            root.keep = True
            print("server died or exited %s; log:\n%s" % (exit_code, server.log()))
            return 1
        if code != 0:
            root.keep = True
        return code


if __name__ == "__main__":
    sys.exit(main())
