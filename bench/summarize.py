#!/usr/bin/env python3
"""Turns the results.txt of bench/run_suite.sh into the markdown tables of a run report
(kept runs: bench/results/).

    bench/summarize.py OUT_DIR/results.txt

For every command it prints a table of the median and the min..max spread over the runs of
selected fields (all fields with --all). Values are copied as printed by cairn_bench.
"""
import sys

# Fields worth a row, per mode, in order; the rest are in results.txt.
FIELDS = {
    "put": ["median_us", "p99_us", "max_us", "ops_per_sec", "raw_median_us", "raw_p99_us",
            "ideal_median_us", "ideal_p99_us", "latency_over_raw", "latency_over_ideal",
            "throughput_vs_raw", "throughput_vs_ideal", "wal_bytes_per_put"],
    "threads": ["ops_per_sec", "writes_per_sync", "writes_per_commit", "median_us", "p99_us",
                "max_us", "raw_ops_per_sec", "raw_writes_per_sync", "ideal_ops_per_sec",
                "ideal_writes_per_sync", "throughput_vs_raw", "throughput_vs_ideal"],
    "reopen": ["wal_mb", "records", "memtable_mb", "cold_open_s", "cold_replay_ms",
               "cold_mb_per_sec", "cold_seqread_mb_per_sec", "cold_replay_vs_seqread",
               "cold_first_put_ms", "warm_open_s", "warm_mb_per_sec", "warm_first_put_ms"],
    "flushlat": ["ops_per_sec", "flush_window_s", "steady_p50_us", "steady_p99_us",
                 "steady_p999_us", "steady_max_us", "flush_p50_us", "flush_p99_us",
                 "flush_p999_us", "flush_max_us", "post_p99_us", "post_max_us", "switch_max_us",
                 "p99_flush_over_steady", "stall_us"],
    "fillrandom": ["puts", "user_mb", "fill_s", "fill_ops_per_sec", "settled_s", "write_amp",
                   "write_amp_no_wal", "flushes", "flush_mb", "compactions",
                   "compaction_read_mb", "compaction_written_mb", "stall_us", "l0_files",
                   "l0_mb", "l1_files", "l1_mb", "l2_files", "l2_mb", "space_amp"],
}


def parse(line):
    return dict(field.split("=", 1) for field in line.split() if "=" in field)


def main():
    show_all = "--all" in sys.argv
    paths = [a for a in sys.argv[1:] if a != "--all"]
    if len(paths) != 1:
        sys.exit(__doc__)
    command, summary = None, {}
    blocks = []
    for line in open(paths[0]):
        line = line.rstrip("\n")
        if line.startswith("$ "):
            command, summary = line[2:], {}
            blocks.append((command, summary))
        elif line.startswith("mode=") and command is not None:
            fields = parse(line)
            run = fields.get("run")
            if run in ("median", "min", "max"):
                summary[run] = fields
            elif run == "1" and "median" not in summary:
                summary.setdefault("single", fields)
    for command, summary in blocks:
        median = summary.get("median") or summary.get("single")
        if median is None:
            continue
        mode = median["mode"]
        keys = list(median) if show_all else [k for k in FIELDS.get(mode, []) if k in median]
        runs = median.get("runs", "1")
        print(f"`{command}` ({runs} runs)\n")
        print("| field | median | min .. max |")
        print("|---|---:|---:|")
        for key in keys:
            if key in ("mode", "run", "runs"):
                continue
            spread = ""
            if "min" in summary and "max" in summary:
                spread = f"{summary['min'].get(key, '?')} .. {summary['max'].get(key, '?')}"
            print(f"| {key} | {median[key]} | {spread} |")
        print()


if __name__ == "__main__":
    main()
