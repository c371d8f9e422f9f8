// Stall workload of peer_bench: the latency a steady writer sees while the engine flushes and
// compacts a large load. One writer thread puts random keys (sync=false) at stall_rate puts
// per second, timing each put, for stall_before_s seconds ("before"); then a loader thread
// writes stall_load_mb MiB of random keys in batches of kStallLoadBatch as fast as it can and
// finally asks for a full compaction (Engine::Compact) while the writer keeps going
// ("during": from the start of the load until the compaction returns). The write buffer is
// fill_buffer_bytes, so the load goes through many flushes and compactions. Reports p50, p99
// and max before and during and their ratios; with csv_prefix, writes the worst latency of
// every kCsvBucketMs window of the last run to PREFIX-ENGINE.csv (t_s, max_us, during).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "workload.h"

namespace cairn_bench {
namespace {

constexpr size_t kStallLoadBatch = 100;
constexpr double kCsvBucketMs = 20;

struct Sample {
  double t_s;
  double latency_us;
  bool during;
};

void WriteCsv(const std::string& path, const std::vector<Sample>& samples) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::perror(path.c_str());
    return;
  }
  std::fprintf(f, "# t_s max_us during\n");
  size_t i = 0;
  while (i < samples.size()) {
    double bucket = static_cast<int64_t>(samples[i].t_s * 1e3 / kCsvBucketMs);
    double worst = 0;
    bool during = false;
    for (; i < samples.size() &&
           static_cast<int64_t>(samples[i].t_s * 1e3 / kCsvBucketMs) == bucket; i++) {
      worst = std::max(worst, samples[i].latency_us);
      during = during || samples[i].during;
    }
    std::fprintf(f, "%.3f %.1f %d\n", bucket * kCsvBucketMs / 1e3, worst, during ? 1 : 0);
  }
  std::fclose(f);
}

// The loader: stall_load_mb MiB of random keys in batches, then a full compaction. Stops early
// when the writer failed. *load_s receives the duration of the load alone.
bool LoadAndCompact(Engine* e, const PeerFlags& flags, const Values& values, int run,
                    const std::atomic<bool>& failed, double* load_s) {
  auto start = Clock::now();
  uint64_t load_keys = (flags.stall_load_mb << 20) / (16 + static_cast<uint64_t>(flags.value_size));
  std::mt19937_64 rng(flags.seed + static_cast<uint64_t>(run));
  std::vector<KeyValue> batch;
  bool ok = true;
  for (uint64_t i = 0; ok && i < load_keys && !failed; i++) {
    uint64_t k = rng() % (flags.num * 4);
    batch.emplace_back(Key(k), std::string(values.For(k)));
    if (batch.size() == kStallLoadBatch) {
      ok = Check(e->Write(batch, false), e->Name() + " stall load");
      batch.clear();
    }
  }
  *load_s = Seconds(Clock::now() - start);
  return ok && Check(e->Compact(), e->Name() + " stall compact");
}

bool StallOnce(const PeerFlags& flags, const std::string& name, int run) {
  EngineConfig config;
  config.write_buffer_bytes = flags.fill_buffer_bytes;
  std::unique_ptr<Engine> e = OpenEngine(name, flags.dir, config);
  if (e == nullptr) return false;
  Values values(flags.value_size);
  std::atomic<bool> during{false}, stop{false}, failed{false};
  std::vector<Sample> samples;
  auto origin = Clock::now();
  std::thread writer([&] {
    std::mt19937_64 rng(7);
    auto period = std::chrono::duration<double>(1.0 / flags.stall_rate);
    auto next = Clock::now();
    while (!stop) {
      std::this_thread::sleep_until(next);
      next += std::chrono::duration_cast<Clock::duration>(period);
      uint64_t k = rng() % (flags.num * 4);
      auto t0 = Clock::now();
      if (!Check(e->Put(Key(k), values.For(k), false), name + " stall put")) {
        failed = true;
        return;
      }
      auto t1 = Clock::now();
      samples.push_back({Seconds(t0 - origin), Micros(t1 - t0), during.load()});
    }
  });
  std::this_thread::sleep_for(std::chrono::duration<double>(flags.stall_before_s));
  during = true;
  auto load_start = Clock::now();
  double load_s = 0;
  bool ok = LoadAndCompact(e.get(), flags, values, run, failed, &load_s);
  double total_s = Seconds(Clock::now() - load_start);
  during = false;
  std::this_thread::sleep_for(std::chrono::duration<double>(flags.stall_after_s));
  stop = true;
  writer.join();
  if (!ok || failed) return false;

  std::vector<double> before, in;
  for (const Sample& s : samples) {
    if (s.during) {
      in.push_back(s.latency_us);
    } else if (s.t_s < flags.stall_before_s) {
      before.push_back(s.latency_us);
    }
  }
  Summary b = Summarize(before), d = Summarize(in);
  Line line("stall");
  line.Add("engine", name).Add("run", std::to_string(run));
  line.Add("load_s", load_s, 2).Add("load_compact_s", total_s, 2);
  line.Add("before_p50_us", b.p50_us).Add("before_p99_us", b.p99_us).Add("before_max_us", b.max_us);
  line.Add("during_p50_us", d.p50_us).Add("during_p99_us", d.p99_us).Add("during_max_us", d.max_us);
  line.Add("during_count", static_cast<double>(d.count), 0);
  line.Add("p99_ratio", b.p99_us > 0 ? d.p99_us / b.p99_us : 0, 2);
  line.Print();
  if (!flags.csv_prefix.empty()) WriteCsv(flags.csv_prefix + "-" + name + ".csv", samples);
  return true;
}

}  // namespace

int StallWorkload(const PeerFlags& flags) {
  for (int run = 1; run <= flags.repeat; run++) {
    for (const std::string& name : flags.engines) {
      if (!StallOnce(flags, name, run)) return 1;
    }
  }
  return 0;
}

}  // namespace cairn_bench
