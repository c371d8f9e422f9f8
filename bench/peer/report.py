#!/usr/bin/env python3
"""Turns peer_bench output into the markdown report OUT/peers.md (method: docs/benchmarks.md,
"Peers"; kept runs: bench/results/).

    bench/peer/report.py OUT_DIR        # reads OUT_DIR/peers.txt and OUT_DIR/machine.txt,
                                        # writes OUT_DIR/peers.md and, with gnuplot, the PNGs

Every table shows the median over the repeated runs (engines were interleaved inside each
repetition) and, where it applies, the ratio to the best peer (the best engine other than
Cairn) and to the physical limit measured in the same run. A "Goals" table checks the targets
of the benchmark issue. Nothing here is measured: it only reads what peer_bench printed.
"""
import collections
import os
import statistics
import subprocess
import sys

ENGINE_ORDER = ["cairn", "rocksdb", "leveldb", "lmdb", "sqlite", "wiredtiger",
                "ideal_log", "raw_log", "disk"]
LOGS = ("ideal_log", "raw_log")
# Peers whose open replays no log (see recovery_section).
NO_REPLAY = ("lmdb", "sqlite")


def parse(path):
    """Returns ({(mode, engine, variant): {field: [values]}}, {engine: [settings]}, notes)."""
    runs = collections.defaultdict(lambda: collections.defaultdict(list))
    settings = collections.defaultdict(list)
    notes = []
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("settings engine="):
            name, text = line[len("settings engine="):].split(": ", 1)
            if text not in settings[name]:
                settings[name].append(text)
            continue
        if line.startswith("# engine") or line.startswith("# cpu busy"):
            notes.append(line[2:])
            continue
        if not line.startswith("mode="):
            continue
        fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        variant = fields.get("threads") or fields.get("cache") or ""
        key = (fields["mode"], fields.get("engine", ""), variant)
        for k, v in fields.items():
            try:
                runs[key][k].append(float(v))
            except ValueError:
                pass
    return runs, settings, notes


def med(runs, mode, engine, field, variant=""):
    values = runs.get((mode, engine, variant), {}).get(field)
    return statistics.median(values) if values else None


def paired(runs, mode, engine, ref, field, variant=""):
    """Median over repetitions of engine/ref within the same repetition (they ran back to back,
    so a noisy neighbour hits both alike), or None."""
    a = runs.get((mode, engine, variant), {}).get(field, [])
    b = runs.get((mode, ref, variant), {}).get(field, [])
    pairs = [x / y for x, y in zip(a, b) if y]
    return statistics.median(pairs) if pairs and len(a) == len(b) else None


def engines_of(runs, mode, variant=""):
    found = {e for (m, e, v) in runs if m == mode and v == variant}
    return [e for e in ENGINE_ORDER if e in found]


def fmt(x, digits=None):
    if x is None:
        return "–"
    if digits is None:
        digits = 0 if abs(x) >= 100 else (1 if abs(x) >= 10 else 2)
    return f"{x:,.{digits}f}"


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "–"


def best_peer(runs, mode, field, variant="", lower=False, exclude=()):
    """(engine, value) of the best peer (not Cairn, not a raw log, not in exclude)."""
    values = [(e, med(runs, mode, e, field, variant)) for e in engines_of(runs, mode, variant)
              if e not in ("cairn",) + LOGS + tuple(exclude)]
    values = [(e, v) for e, v in values if v is not None]
    if not values:
        return None, None
    return (min if lower else max)(values, key=lambda ev: ev[1])


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def runs_count(runs, mode):
    counts = [len(f.get("run", [])) for (m, e, v), f in runs.items() if m == mode]
    return max(counts) if counts else 0


def physical_section(runs):
    out = ["## Physical limits (same run, same directory)\n"]
    rows = []
    for e, what in (("raw_log", "growing file"), ("ideal_log", "preallocated file")):
        rows.append([f"write + fdatasync, {what}", fmt(med(runs, "phys_fsync", e, "p50_us")),
                     fmt(med(runs, "phys_fsync", e, "p99_us")),
                     fmt(med(runs, "phys_fsync", e, "ops_per_sec"))])
    out.append(table(["1 thread, one put-sized record", "p50 µs", "p99 µs", "ops/s"], rows))
    w = med(runs, "phys_seq", "disk", "write_mb_per_sec")
    r = med(runs, "phys_seq", "disk", "read_mb_per_sec")
    cold = med(runs, "phys_seq", "disk", "cold")
    out.append(f"\nSequential write (1 MiB writes + fdatasync): **{fmt(w)} MB/s**; sequential "
               f"read {'from a cold page cache' if cold else '(page cache could not be dropped)'}"
               f": **{fmt(r)} MB/s**.\n")
    return "\n".join(out)


def durable_section(runs):
    out = ["## Durable puts by thread count\n",
           "Synced puts of random keys, each thread its own keys. `ideal_log` and `raw_log` are "
           "the raw group-commit logs (preallocated / growing file) run interleaved with the "
           "engines: the floor any durable engine can reach. 'vs ideal log' is the median of "
           "the per-repetition ratios (the two ran back to back).\n"]
    threads = sorted({int(v) for (m, e, v) in runs if m == "durable"})
    for t in threads:
        v = str(t)
        _, best = best_peer(runs, "durable", "ops_per_sec", v)
        rows = []
        for e in engines_of(runs, "durable", v):
            ops = med(runs, "durable", e, "ops_per_sec", v)
            vs_ideal = paired(runs, "durable", e, "ideal_log", "ops_per_sec", v)
            rows.append([e, fmt(ops), ratio(ops, best),
                         "–" if vs_ideal is None else f"{vs_ideal:.2f}×",
                         fmt(med(runs, "durable", e, "p50_us", v)),
                         fmt(med(runs, "durable", e, "p99_us", v)),
                         fmt(med(runs, "durable", e, "p999_us", v)),
                         fmt(med(runs, "durable", e, "max_us", v)),
                         fmt(med(runs, "durable", e, "writes_per_fsync", v), 2)])
        out.append(f"\n**{t} thread{'s' if t > 1 else ''}**\n")
        out.append(table(["engine", "ops/s", "vs best peer", "vs ideal log", "p50 µs", "p99 µs",
                          "p99.9 µs", "max µs", "writes/fsync"], rows))
    return "\n".join(out)


def fill_section(runs):
    out = ["## Fills (sync = false, 1 thread) and space\n"]
    seq_w = med(runs, "phys_seq", "disk", "write_mb_per_sec")
    for mode in ("fillseq", "fillrandom", "overwrite"):
        _, best = best_peer(runs, mode, "ops_per_sec")
        rows = []
        for e in engines_of(runs, mode):
            ops = med(runs, mode, e, "ops_per_sec")
            mbs = med(runs, mode, e, "mb_per_sec")
            rows.append([e, fmt(ops), fmt(mbs, 1), ratio(ops, best), ratio(mbs, seq_w),
                         fmt(med(runs, mode, e, "disk_mb"), 1),
                         fmt(med(runs, mode, e, "space_amp"), 2)])
        out.append(f"\n**{mode}**\n")
        out.append(table(["engine", "ops/s", "user MB/s", "vs best peer",
                          "vs sequential write", "disk MB after close", "space amp"], rows))
    out.append("\nSpace: allocated bytes of every file after a clean close, over 16 + value "
               "bytes per live key. WiredTiger's includes its preallocated 100 MB log files "
               "(WiredTigerPreplog.*), which hold no data yet.\n")
    return "\n".join(out)


def read_section(runs):
    out = ["## Reads (1 thread)\n"]
    for mode, variant, title in (("readrandom", "big", "readrandom, data in the engine's cache"),
                                 ("readrandom", "small",
                                  "readrandom, small cache (1/8 of the data, at least 8 MiB)"),
                                 ("readseq", "", "readseq (one full scan)"),
                                 ("seekrandom", "", "seekrandom + 10 nexts")):
        _, best = best_peer(runs, mode, "ops_per_sec", variant)
        lmdb = med(runs, mode, "lmdb", "ops_per_sec", variant)
        rocks = med(runs, mode, "rocksdb", "ops_per_sec", variant)
        rows = []
        for e in engines_of(runs, mode, variant):
            ops = med(runs, mode, e, "ops_per_sec", variant)
            rows.append([e, fmt(ops), ratio(ops, best), ratio(ops, lmdb), ratio(ops, rocks),
                         fmt(med(runs, mode, e, "p50_us", variant), 2),
                         fmt(med(runs, mode, e, "p99_us", variant), 2)])
        out.append(f"\n**{title}**\n")
        out.append(table(["engine", "ops/s", "vs best peer", "vs lmdb", "vs rocksdb",
                          "p50 µs", "p99 µs"], rows))
    return "\n".join(out)


def recovery_section(runs):
    seq_r = med(runs, "phys_seq", "disk", "read_mb_per_sec")
    out = ["## Recovery after SIGKILL with a full log\n",
           "User data written (batches of 16 × 1000-byte values, log synced, then SIGKILL), "
           "page cache dropped, then Open + one Get timed. LMDB has no log to replay, and "
           "SQLite has nothing to replay (the fill's final sync is a full WAL checkpoint, the "
           "adapter's only way to sync a synchronous=NORMAL database), so 'vs "
           "best peer' compares with the peers that replay a log at open: RocksDB, LevelDB, "
           "WiredTiger.\n"]
    _, best = best_peer(runs, "recovery", "mb_per_sec", exclude=NO_REPLAY)
    rows = []
    for e in engines_of(runs, "recovery"):
        mbs = med(runs, "recovery", e, "mb_per_sec")
        rows.append([e, fmt(med(runs, "recovery", e, "user_mb"), 0),
                     fmt(med(runs, "recovery", e, "disk_mb"), 0),
                     fmt(med(runs, "recovery", e, "open_ms"), 1), fmt(mbs), ratio(mbs, best),
                     ratio(mbs, seq_r), "yes" if med(runs, "recovery", e, "cold") else "no"])
    out.append(table(["engine", "user MB", "disk MB", "open ms", "MB/s", "vs best peer",
                      "vs sequential read", "cold"], rows))
    return "\n".join(out)


def stall_section(runs, plot):
    out = ["## Writer latency during a large load, flushes and a full compaction\n",
           "One writer at a fixed rate (sync = false); after the 'before' window a second thread "
           "loads random keys in batches of 100 and then runs a full compaction ('during').\n"]
    rows = []
    for e in engines_of(runs, "stall"):
        g = lambda f: med(runs, "stall", e, f)
        rows.append([e, fmt(g("before_p99_us"), 1), fmt(g("before_max_us"), 1),
                     fmt(g("during_p99_us"), 1), fmt(g("during_max_us"), 1),
                     fmt(g("p99_ratio"), 2), fmt(g("load_compact_s"), 2)])
    out.append(table(["engine", "p99 before µs", "max before µs", "p99 during µs",
                      "max during µs", "p99 during / before", "load + compaction s"], rows))
    if plot:
        out.append(f"\n![writer latency over time]({plot})\n")
    return "\n".join(out)


def goals_section(runs):
    def cairn(mode, field, variant=""):
        return med(runs, mode, "cairn", field, variant)
    rows = []

    def goal(name, value, target, ok_if_ge=True):
        if value is None or target is None:
            rows.append([name, "–", fmt(target, 2) if target else "–", "not measured"])
            return
        ok = value >= target if ok_if_ge else value <= target
        rows.append([name, fmt(value, 2), ("≥ " if ok_if_ge else "≤ ") + fmt(target, 2),
                     "met" if ok else "**missed**"])

    def div(a, b):
        return a / b if a is not None and b else None
    d16 = cairn("durable", "ops_per_sec", "16")
    goal("durable 16 threads / ideal log",
         paired(runs, "durable", "cairn", "ideal_log", "ops_per_sec", "16"), 0.9)
    goal("durable 16 threads / best peer",
         div(d16, best_peer(runs, "durable", "ops_per_sec", "16")[1]), 1.2)
    goal("durable 1 thread / ideal log 1 thread",
         paired(runs, "durable", "cairn", "ideal_log", "ops_per_sec", "1"), 0.9)
    goal("fillrandom / best peer",
         div(cairn("fillrandom", "ops_per_sec"), best_peer(runs, "fillrandom", "ops_per_sec")[1]),
         1.2)
    goal("fillseq / best peer",
         div(cairn("fillseq", "ops_per_sec"), best_peer(runs, "fillseq", "ops_per_sec")[1]), 1.0)
    rr = cairn("readrandom", "ops_per_sec", "big")
    goal("readrandom in cache / lmdb",
         div(rr, med(runs, "readrandom", "lmdb", "ops_per_sec", "big")), 0.8)
    goal("readrandom in cache / rocksdb",
         div(rr, med(runs, "readrandom", "rocksdb", "ops_per_sec", "big")), 2.0)
    rec = cairn("recovery", "mb_per_sec")
    goal("recovery MB/s (cold)", rec, 1000)
    goal("recovery / sequential read", div(rec, med(runs, "phys_seq", "disk",
                                                    "read_mb_per_sec")), 0.5)
    goal("worst writer latency during load + compaction, µs", cairn("stall", "during_max_us"),
         1000, ok_if_ge=False)
    goal("p99 during / p99 before", cairn("stall", "p99_ratio"), 1.5, ok_if_ge=False)
    return "## Goals for Cairn (issue 5)\n\n" + table(["goal", "Cairn", "target", ""], rows)


def plot_durable(runs, out_dir):
    threads = sorted({int(v) for (m, e, v) in runs if m == "durable"})
    engines = engines_of(runs, "durable", str(threads[0])) if threads else []
    if not engines:
        return None
    data = os.path.join(out_dir, "durable.dat")
    with open(data, "w") as f:
        f.write("# threads " + " ".join(engines) + "\n")
        for t in threads:
            vals = [med(runs, "durable", e, "ops_per_sec", str(t)) for e in engines]
            f.write(f"{t} " + " ".join("NaN" if v is None else str(v) for v in vals) + "\n")
    png = "peers-durable.png"
    plots = ", ".join(
        f"'{data}' using 1:{i + 2} with linespoints lw 2" + (" dt 2" if e in LOGS else "")
        + f" title '{e}' noenhanced" for i, e in enumerate(engines))
    script = (f"set terminal pngcairo size 900,560; set output '{os.path.join(out_dir, png)}';"
              "set logscale xy; set xlabel 'writer threads'; set ylabel 'durable puts / s';"
              "set key outside right; set grid; set xtics (1,4,16,64);"
              f"set title 'Durable puts by thread count (median)'; plot {plots}")
    return png if run_gnuplot(script) else None


def plot_stall(runs, out_dir):
    engines = [e for e in engines_of(runs, "stall")
               if os.path.exists(os.path.join(out_dir, f"stall-{e}.csv"))]
    if not engines:
        return None
    png = "peers-stall.png"
    rows = (len(engines) + 2) // 3
    panels = "".join(
        f"set title '{e}' noenhanced; plot '{os.path.join(out_dir, f'stall-{e}.csv')}' "
        "using 1:($3 == 1 ? $2 : 1/0) with lines lc rgb 'red' title 'during', '' using "
        "1:($3 == 0 ? $2 : 1/0) with lines lc rgb 'blue' title 'before/after';"
        for e in engines)
    script = (f"set terminal pngcairo size 1200,{360 * rows}; "
              f"set output '{os.path.join(out_dir, png)}'; set logscale y; set yrange [1:*];"
              "set xlabel 's'; set ylabel 'worst put µs per 20 ms'; set grid; set key top left;"
              f"set multiplot layout {rows},3 title 'Writer latency during load + full "
              f"compaction (last run)'; {panels} unset multiplot")
    return png if run_gnuplot(script) else None


def run_gnuplot(script):
    try:
        subprocess.run(["gnuplot", "-e", script], check=True, capture_output=True)
        return True
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"gnuplot failed or missing: {e}", file=sys.stderr)
        return False


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    runs, settings, notes = parse(os.path.join(out_dir, "peers.txt"))
    parts = ["# Cairn and its peers\n"]
    machine = os.path.join(out_dir, "machine.txt")
    if os.path.exists(machine):
        parts.append("```\n" + open(machine).read() + "```\n")
    parts.append(f"Medians of {runs_count(runs, 'durable')} repetitions (engines interleaved "
                 "in each). 'vs best peer': against the best engine other than Cairn.\n")
    parts.append(goals_section(runs))
    parts.append(physical_section(runs))
    parts.append(durable_section(runs))
    png = plot_durable(runs, out_dir)
    if png:
        parts.append(f"\n![durable puts by thread count]({png})\n")
    parts.append(fill_section(runs))
    parts.append(read_section(runs))
    parts.append(recovery_section(runs))
    parts.append(stall_section(runs, plot_stall(runs, out_dir)))
    parts.append("## Settings of every engine\n")
    parts.append("As printed by each adapter for the durable workload (default sizes). The other "
                 "workloads change only the sizes: fill and stall use the fill write buffer; "
                 "read uses a cache of 4× the data, then one of 1/8 of it (at least 8 MiB); "
                 "recovery a write buffer and log cap of 4× the log written. peers.txt has "
                 "every variant.\n")
    for e in ENGINE_ORDER:
        if settings.get(e):
            parts.append(f"- **{e}**: {settings[e][0]}")
    if notes:
        parts.append("\n## Notes\n\n" + "\n".join(f"- {n}" for n in notes))
    report = "\n".join(parts) + "\n"
    with open(os.path.join(out_dir, "peers.md"), "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
