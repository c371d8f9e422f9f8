#!/usr/bin/env python3
# Proves that the `cairn` program's engine options (--option NAME=VALUE, --config FILE,
# docs/options.md) work end to end on the real binary:
#   - a bad name, value or config file is a usage error (the exit code of any other bad flag,
#     e.g. `load --threads 0`), the message names the option and the value, and no database
#     directory is created, for the data commands and for `serve`;
#   - --option overrides --config wherever it stands on the line;
#   - `cairn stats` prints every option in force, and its whole output is a valid --config
#     file that reproduces them; `cairn options` output is one too;
#   - the options reach DB::Open: a 4 KiB MemTable makes a small load flush and compact, which
#     the default 64 MiB one does not;
#   - `cairn serve` starts with engine options and stops cleanly on SIGTERM.
# Standard library only. Exit 0: all passed; 1: a check failed (the message says which).

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

FAILURES = []


def check(condition, what):
    if not condition:
        FAILURES.append(what)
        print("FAIL: " + what, flush=True)


def run(cairn, args, stdin=None):
    return subprocess.run([cairn] + args, input=stdin, capture_output=True, text=True, timeout=120)


def options_section(stats_output):
    """The NAME=VALUE lines of `cairn stats` output, as a dict."""
    pairs = {}
    for line in stats_output.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            pairs[name] = value
    return pairs


def test_bad_options_are_usage_errors(cairn, work):
    usage_code = run(cairn, ["load", "--db", os.path.join(work, "x"), "--threads", "0"]).returncode
    check(usage_code not in (0, 1, 2), "the CLI's usage-error code is distinct: %d" % usage_code)
    bad = [
        (["--option", "no_such_option=1"], "no_such_option", "no_such_option"),
        (["--option", "memtable_size_bytes=lots"], "memtable_size_bytes", '"lots"'),
        (["--option", "memtable_size_bytes=64MB"], "memtable_size_bytes", '"64MB"'),
        (["--option", "block_cache_bytes=99999999999999999999999"], "block_cache_bytes",
         '"99999999999999999999999"'),
        (["--option", "compression=snappy"], "compression", '"snappy"'),
        (["--option", "wal_recycle_files=3x"], "wal_recycle_files", '"3x"'),
        (["--option", "l0_compaction_trigger=0"], "l0_compaction_trigger", '"0"'),
        (["--option", "create_if_missing"], "create_if_missing", "NAME=VALUE"),
    ]
    config = os.path.join(work, "bad.conf")
    with open(config, "w") as f:
        f.write("# fine\nbloom_bits_per_key=5\nbloom_bits_per_key=-5\n")
    bad.append((["--config", config], "bad.conf:3", '"-5"'))
    bad.append((["--config", os.path.join(work, "missing.conf")], "missing.conf", "--config"))
    for command in (["put", "k", "v"], ["get", "k"], ["stats"], ["load"], ["serve", "--port", "0"]):
        for flags, name, value in bad:
            db = os.path.join(work, "never_created")
            r = run(cairn, [command[0], "--db", db] + flags + command[1:], stdin="")
            what = "%s %s" % (command[0], " ".join(flags))
            check(r.returncode == usage_code,
                  "%s: exit %d, expected the usage code %d" % (what, r.returncode, usage_code))
            check(name in r.stderr and value in r.stderr,
                  "%s: message does not name %s and %s: %r" % (what, name, value, r.stderr))
            check(not os.path.exists(db), "%s: created the database directory" % what)


def test_option_overrides_config_and_stats_feeds_back(cairn, work):
    db = os.path.join(work, "db")
    config = os.path.join(work, "good.conf")
    with open(config, "w") as f:
        f.write("\n# sizes take units\nblock_cache_bytes = 1GiB\ncompression=zstd\n"
                "bloom_bits_per_key=5\n")
    # --option before and after --config: both win over the file.
    r = run(cairn, ["stats", "--db", db, "--option", "compression=none", "--config", config,
                    "--option", "bloom_bits_per_key=7"])
    check(r.returncode == 0, "stats with good options failed: " + r.stderr)
    opts = options_section(r.stdout)
    check(opts.get("block_cache_bytes") == "1GiB", "config value not in force: %r" % opts)
    check(opts.get("compression") == "none", "--option before --config did not win: %r" % opts)
    check(opts.get("bloom_bits_per_key") == "7", "--option after --config did not win: %r" % opts)
    # Every option is printed; the output as a whole is a config file giving the same options.
    listed = run(cairn, ["options"])
    check(listed.returncode == 0, "cairn options failed: " + listed.stderr)
    names = [l.split("=")[0] for l in listed.stdout.splitlines() if l and not l.startswith("#")]
    check(len(names) >= 19 and set(names) == set(opts),
          "stats and `cairn options` list different names: %r vs %r" % (names, list(opts)))
    fed = os.path.join(work, "fed.conf")
    with open(fed, "w") as f:
        f.write(r.stdout)
    again = run(cairn, ["stats", "--db", db, "--config", fed])
    check(again.returncode == 0, "stats output refused as --config: " + again.stderr)
    check(options_section(again.stdout) == opts, "stats output fed back gives other options")
    with open(fed, "w") as f:
        f.write(listed.stdout)
    defaults = run(cairn, ["stats", "--db", db, "--config", fed])
    check(defaults.returncode == 0, "`cairn options` output refused as --config: " + defaults.stderr)


def test_options_reach_the_engine(cairn, work):
    lines = "".join("key%05d\t%s\n" % (i, "v" * 200) for i in range(400))
    small = ["--option", "memtable_size_bytes=4KiB", "--option", "l0_compaction_trigger=2",
             "--option", "wal_preallocate_bytes=0"]
    for name, flags, expect_flushes in (("default", [], False), ("small", small, True)):
        db = os.path.join(work, "engine_" + name)
        r = run(cairn, ["load", "--db", db] + flags, stdin=lines)
        check(r.returncode == 0 and r.stdout.count("ACK ") == 400, name + " load failed: " + r.stderr)
        # The segments stats finds when it opens are what load's flushes left.
        r = run(cairn, ["stats", "--db", db] + flags)
        segments = re.search(r"(\d+) segments", r.stdout)
        count = int(segments.group(1)) if segments else -1
        if expect_flushes:
            check(count > 0, "a 4 KiB MemTable left no segment after 80 KB: %r" % r.stdout)
        else:
            check(count == 0, "the default 64 MiB MemTable flushed 80 KB: %r" % r.stdout)
        dump = run(cairn, ["dump", "--db", db] + flags)
        check(dump.stdout == lines, name + ": dump does not return what was loaded")


def test_serve_starts_with_options(cairn, work):
    db = os.path.join(work, "served")
    port_file = os.path.join(work, "port")
    server = subprocess.Popen([cairn, "serve", "--db", db, "--port", "0", "--port-file", port_file,
                               "--option", "block_cache_bytes=8MiB", "--option",
                               "memtable_size_bytes=1MiB"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not os.path.exists(port_file) and server.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    check(os.path.exists(port_file), "serve with engine options did not start")
    server.send_signal(signal.SIGTERM)
    try:
        _, err = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        _, err = server.communicate()
    check(server.returncode == 0, "serve exit %s: %s" % (server.returncode, err))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cairn", required=True, help="path to the cairn program")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="cairn_cli_options_")
    try:
        test_bad_options_are_usage_errors(args.cairn, work)
        test_option_overrides_config_and_stats_feeds_back(args.cairn, work)
        test_options_reach_the_engine(args.cairn, work)
        test_serve_starts_with_options(args.cairn, work)
    finally:
        if not FAILURES:
            shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print("%d checks failed; files kept in %s" % (len(FAILURES), work))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
