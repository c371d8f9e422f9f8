// flushlat: writer latency while a full MemTable is switched and flushed, against steady
// state.
//
// Writers put random 16-byte keys at a steady rate (or as fast as they can) until the
// requested number of flushes has completed. After each put the writer samples the property
// "cairn.immutable-memtables" (outside the timed region). A put belongs to a flush window if
// an immutable MemTable existed right before or right after it: the window opens with the
// put whose group switched the MemTable (the switch — WAL sync, new WAL, manifest edit — is
// the only exclusive step of a flush) and closes when the flushed MemTable is dropped from
// the read view. Everything else, after the warm-up, is steady state.
//
// Puts that start within --tail-ms after a window closes are counted apart ("post"): the
// flush's last step, deleting the old WAL, runs after the MemTable leaves the read view, and
// freeing a large file can stall the file system's next commits.
//
// Output: one line per run with count, p50, p99, p99.9 and max for the steady, flush and
// post-flush puts and for the switching puts alone, one line per flush window, and
// optionally a CSV of (seconds since start, latency in microseconds, kind: 0 steady, 1 flush,
// 2 post-flush, thread) for plotting (bench/plot_flushlat.gp). --attribute adds, for puts
// over 1 ms, how many were preempted (involuntary context switch), blocked (voluntary
// switch: I/O or a lock) or neither, from getrusage(RUSAGE_THREAD) around each put.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "bench.h"

namespace cairn_bench {
namespace {

struct Sample {
  double t_s;      // start of the put, seconds since the run started
  float lat_us;    // latency of the put
  bool in_flush;   // an immutable MemTable existed just before or just after
  bool switched;   // none before, one after: this put's group (or one just before) switched
  uint8_t thread;
  // With --attribute: CPU time the put's thread used, and its context switches during the
  // put: involuntary (preempted by the scheduler) and voluntary (it blocked: I/O, a lock, a
  // condition variable, a sleep).
  float cpu_us = 0;
  uint16_t preempted = 0, blocked = 0;
};

struct ThreadClock {
  double cpu_us;
  long nivcsw, nvcsw;
};

ThreadClock ReadThreadClock() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  rusage ru{};
  ::getrusage(RUSAGE_THREAD, &ru);
  return {static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3,
          ru.ru_nivcsw, ru.ru_nvcsw};
}

// Why puts took longer than `threshold_us`: preempted (an involuntary context switch: the
// CPU was given to another thread), blocked without being preempted (waited for I/O or a
// lock), or neither (slow on CPU).
void AddAttribution(Line* line, const std::string& prefix, const std::vector<Sample>& samples,
                    bool want_flush, double threshold_us) {
  double slow = 0, preempted = 0, blocked = 0, on_cpu = 0, total_us = 0, off_cpu_us = 0;
  for (const Sample& s : samples) {
    if (s.in_flush != want_flush || s.lat_us < threshold_us) continue;
    slow++;
    total_us += s.lat_us;
    off_cpu_us += s.lat_us - s.cpu_us;
    if (s.preempted > 0) {
      preempted++;
    } else if (s.blocked > 0) {
      blocked++;
    } else {
      on_cpu++;
    }
  }
  line->Add(prefix + "_slow", slow, 0).Add(prefix + "_slow_preempted", preempted, 0);
  line->Add(prefix + "_slow_blocked", blocked, 0).Add(prefix + "_slow_on_cpu", on_cpu, 0);
  line->Add(prefix + "_slow_off_cpu_pct", total_us == 0 ? 0 : 100 * off_cpu_us / total_us, 1);
}

}  // namespace

int FlushLatMode(const FlushLatFlags& flags) {
  Runs runs("flushlat");
  for (int r = 0; r < flags.repeat; r++) {
    Fresh(flags.dir);
    cairn::Options options;
    options.memtable_size_bytes = flags.memtable_mb << 20;
    if (flags.wal_recycle_files >= 0) {
      options.wal_recycle_files = static_cast<size_t>(flags.wal_recycle_files);
    }
    if (flags.wal_bg_sync_kb >= 0) {
      options.wal_background_sync_bytes = static_cast<uint64_t>(flags.wal_bg_sync_kb) << 10;
    }
    std::unique_ptr<cairn::DB> db = OpenOrReport(options, flags.dir);
    if (db == nullptr) return 1;
    cairn::WriteOptions write_options;
    write_options.sync = flags.sync;

    const int threads = std::max(flags.threads, 1);
    std::vector<std::vector<Sample>> per_thread(static_cast<size_t>(threads));
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    const auto start = Clock::now();
    const double interval_s = flags.rate > 0 ? threads / flags.rate : 0;

    std::vector<std::thread> workers;
    for (int t = 0; t < threads; t++) {
      workers.emplace_back([&, t] {
        auto& samples = per_thread[static_cast<size_t>(t)];
        samples.reserve(1u << 22);
        ValueSource values(static_cast<size_t>(flags.value_size), static_cast<uint64_t>(t) + 7);
        std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 1);
        std::string imm;
        bool prev_imm = false;
        auto next = Clock::now();
        while (!stop.load(std::memory_order_relaxed)) {
          if (interval_s > 0) {
            next += std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(interval_s));
            auto now = Clock::now();
            if (next > now) {
              std::this_thread::sleep_until(next);
            } else if (now - next > std::chrono::milliseconds(100)) {
              next = now;  // far behind (a stall): do not burst to catch up
            }
          }
          std::string key = Key(rng() % 1000000000000ull);
          std::string_view value = values.Next();
          ThreadClock before{}, after{};
          if (flags.attribute) before = ReadThreadClock();
          auto put_start = Clock::now();
          cairn::Status st = db->Put(write_options, key, value);
          auto put_end = Clock::now();
          if (flags.attribute) after = ReadThreadClock();
          if (!st.ok()) {
            failures++;
            std::fprintf(stderr, "put: %s\n", st.ToString().c_str());
            stop = true;
            break;
          }
          db->GetProperty("cairn.immutable-memtables", &imm);
          bool now_imm = imm != "0";
          Sample sample{Seconds(put_start - start),
                        static_cast<float>(Micros(put_end - put_start)),
                        prev_imm || now_imm, !prev_imm && now_imm, static_cast<uint8_t>(t)};
          if (flags.attribute) {
            sample.cpu_us = static_cast<float>(after.cpu_us - before.cpu_us);
            sample.preempted = static_cast<uint16_t>(after.nivcsw - before.nivcsw);
            sample.blocked = static_cast<uint16_t>(after.nvcsw - before.nvcsw);
          }
          samples.push_back(sample);
          prev_imm = now_imm;
        }
      });
    }

    // The monitor: stop once enough flushes completed and nothing waits to be flushed.
    bool timed_out = false;
    while (!stop.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (NumberProperty(db.get(), "cairn.flushes") >= flags.flushes &&
          NumberProperty(db.get(), "cairn.immutable-memtables") == 0) {
        break;
      }
      if (Seconds(Clock::now() - start) > flags.max_seconds) {
        timed_out = true;
        break;
      }
    }
    stop = true;
    for (auto& w : workers) w.join();
    double seconds = Seconds(Clock::now() - start);
    if (failures.load() != 0) return 1;

    std::vector<Sample> all;
    for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end(),
              [](const Sample& a, const Sample& b) { return a.t_s < b.t_s; });
    // Flush windows: maximal runs of in_flush puts in time order (merged over threads).
    struct Window {
      double begin_s, end_s;
      std::vector<double> lat;
    };
    std::vector<Window> windows;
    bool open = false;
    for (const Sample& s : all) {
      if (s.in_flush) {
        if (!open) windows.push_back({s.t_s, s.t_s, {}});
        open = true;
        windows.back().end_s = s.t_s;
        windows.back().lat.push_back(s.lat_us);
      } else {
        open = false;
      }
    }
    // Each put is steady, in a flush window, or just after one (the flush's last steps, such
    // as deleting the old WAL, run after the MemTable leaves the read view).
    std::vector<double> steady, flushing, post, switching;
    size_t w = 0;
    const double tail_s = flags.tail_ms / 1000;
    for (const Sample& s : all) {
      if (s.switched) switching.push_back(s.lat_us);
      while (w < windows.size() && windows[w].end_s + tail_s < s.t_s) w++;
      if (s.in_flush) {
        flushing.push_back(s.lat_us);
      } else if (w < windows.size() && windows[w].end_s < s.t_s) {
        post.push_back(s.lat_us);
      } else if (s.t_s >= flags.warmup_s) {
        steady.push_back(s.lat_us);
      }
    }
    Summary st = Summarize(steady), fl = Summarize(flushing), po = Summarize(post);
    Summary sw = Summarize(switching);

    double window_seconds = 0;
    for (const Window& w : windows) window_seconds += w.end_s - w.begin_s;

    Line line("flushlat");
    line.Add("threads", threads, 0).Add("sync", flags.sync ? "true" : "false");
    line.Add("rate", flags.rate, 0).Add("memtable_mb", static_cast<double>(flags.memtable_mb), 0);
    line.Add("value_size", flags.value_size, 0);
    line.Add("puts", static_cast<double>(all.size()), 0).Add("seconds", seconds, 2);
    line.Add("ops_per_sec", static_cast<double>(all.size()) / seconds, 0);
    line.Add("flushes", NumberProperty(db.get(), "cairn.flushes"), 0);
    line.Add("compactions", NumberProperty(db.get(), "cairn.compactions"), 0);
    line.Add("stall_us", NumberProperty(db.get(), "cairn.stall-micros"), 0);
    line.Add("flush_windows", static_cast<double>(windows.size()), 0);
    line.Add("flush_window_s", windows.empty() ? 0 : window_seconds / windows.size(), 3);
    line.AddSummary("steady", st).AddSummary("flush", fl).AddSummary("post", po);
    line.Add("switch_count", static_cast<double>(sw.count), 0).Add("switch_max_us", sw.max_us);
    line.Add("p99_flush_over_steady", st.p99_us > 0 ? fl.p99_us / st.p99_us : 0, 3);
    line.Add("max_flush_over_steady", st.max_us > 0 ? fl.max_us / st.max_us : 0, 3);
    line.Add("max_post_over_steady", st.max_us > 0 ? po.max_us / st.max_us : 0, 3);
    if (flags.attribute) {
      AddAttribution(&line, "steady", all, false, 1000);
      AddAttribution(&line, "flush", all, true, 1000);
    }
    if (timed_out) line.Add("timed_out", "true");
    runs.Add(line);
    for (size_t i = 0; i < windows.size(); i++) {
      Summary ws = Summarize(windows[i].lat);
      Line wl("flushlat-window");
      wl.Add("run", std::to_string(r + 1)).Add("window", static_cast<double>(i + 1), 0);
      wl.Add("begin_s", windows[i].begin_s, 3).Add("end_s", windows[i].end_s, 3);
      wl.Add("puts", static_cast<double>(ws.count), 0);
      wl.Add("p50_us", ws.p50_us).Add("p99_us", ws.p99_us).Add("max_us", ws.max_us);
      wl.Print();
    }

    if (!flags.csv.empty() && r == flags.repeat - 1) {
      FILE* out = std::fopen(flags.csv.c_str(), "w");
      if (out == nullptr) {
        std::perror(flags.csv.c_str());
        return 1;
      }
      // in_flush: 0 steady (or warm-up), 1 in a flush window, 2 just after one.
      std::fprintf(out, "t_s,latency_us,in_flush,thread\n");
      size_t v = 0;
      for (const Sample& s : all) {
        while (v < windows.size() && windows[v].end_s + tail_s < s.t_s) v++;
        int kind = s.in_flush ? 1 : (v < windows.size() && windows[v].end_s < s.t_s ? 2 : 0);
        std::fprintf(out, "%.6f,%.2f,%d,%d\n", s.t_s, static_cast<double>(s.lat_us), kind,
                     s.thread);
      }
      std::fclose(out);
      std::printf("# wrote %zu samples to %s\n", all.size(), flags.csv.c_str());
    }
  }
  if (flags.repeat > 1) runs.PrintSummary();
  return 0;
}

}  // namespace cairn_bench
