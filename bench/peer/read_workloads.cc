// Read workloads of peer_bench, on a database of num keys loaded in order (batches of 1000,
// not timed) and then flushed and compacted, so every engine reads its settled structure:
//   readseq            one scan over every key (also warms the caches);
//   readrandom         1 thread, `reads` Gets of uniformly random keys, every value checked;
//                      cache=big: the engine's cache holds all data (4x the logical size);
//                      cache=small: the engine's cache is 1/kReadSmallCacheRatio of the data,
//                      but at least kMinCacheBytes (the OS page cache stays warm: this
//                      measures the engine's own cache misses, not the disk's; LMDB has no
//                      cache of its own);
//   seekrandom         `reads` seeks to a random key, each followed by 10 nexts.
#include <random>

#include "workload.h"

namespace cairn_bench {
namespace {

// The small cache is this many times smaller than the data.
constexpr uint64_t kReadSmallCacheRatio = 8;
// Entries read after each seek in seekrandom: the seek itself and 10 nexts.
constexpr int kSeekEntries = 11;
// The small cache is never below this: WiredTiger needs room in its cache to evict.
constexpr uint64_t kMinCacheBytes = 8u << 20;
// Puts per batch while loading (untimed).
constexpr uint64_t kLoadBatch = 1000;

bool Load(Engine* e, const PeerFlags& flags, const Values& values) {
  std::vector<KeyValue> batch;
  for (uint64_t i = 0; i < flags.num; i++) {
    batch.emplace_back(Key(i), std::string(values.For(i)));
    if (batch.size() == kLoadBatch || i + 1 == flags.num) {
      if (!Check(e->Write(batch, false), e->Name() + " load")) return false;
      batch.clear();
    }
  }
  return Check(e->Compact(), e->Name() + " compact");
}

void Print(const std::string& mode, const std::string& name, int run, const std::string& cache,
           uint64_t ops, double seconds, const Summary* s) {
  Line line(mode);
  line.Add("engine", name).Add("run", std::to_string(run));
  if (!cache.empty()) line.Add("cache", cache);
  line.Add("ops", static_cast<double>(ops), 0);
  line.Add("ops_per_sec", static_cast<double>(ops) / seconds, 0);
  if (s != nullptr) line.Add("p50_us", s->p50_us, 2).Add("p99_us", s->p99_us, 2);
  line.Print();
}

bool ReadRandom(Engine* e, const PeerFlags& flags, const Values& values, int run,
                const std::string& cache) {
  std::mt19937_64 rng(flags.seed * 31 + static_cast<uint64_t>(run));
  std::vector<double> lat;
  lat.reserve(flags.reads);
  std::string value;
  auto start = Clock::now();
  for (uint64_t i = 0; i < flags.reads; i++) {
    uint64_t k = rng() % flags.num;
    auto t0 = Clock::now();
    if (!Check(e->Get(Key(k), &value), e->Name() + " get")) return false;
    lat.push_back(Micros(Clock::now() - t0));
    if (value != values.For(k)) {
      std::fprintf(stderr, "error: %s get %s: wrong value\n", e->Name().c_str(), Key(k).c_str());
      return false;
    }
  }
  double seconds = Seconds(Clock::now() - start);
  Summary s = Summarize(std::move(lat));
  Print("readrandom", e->Name(), run, cache, flags.reads, seconds, &s);
  return true;
}

bool ReadOnce(const PeerFlags& flags, const std::string& name, int run) {
  Values values(flags.value_size);
  uint64_t logical = flags.num * (16 + static_cast<uint64_t>(flags.value_size));
  EngineConfig big;
  big.cache_bytes = 4 * logical;
  std::unique_ptr<Engine> e = OpenEngine(name, flags.dir, big);
  if (e == nullptr || !Load(e.get(), flags, values)) return false;
  e->Close();
  e = OpenEngine(name, flags.dir, big, /*keep=*/true);
  if (e == nullptr) return false;

  int found = 0;
  uint64_t bytes = 0;
  auto start = Clock::now();
  if (!Check(e->Scan(Key(0), static_cast<int>(flags.num), &found, &bytes), name + " scan")) {
    return false;
  }
  if (static_cast<uint64_t>(found) != flags.num) {
    std::fprintf(stderr, "error: %s readseq found %d of %llu keys\n", name.c_str(), found,
                 static_cast<unsigned long long>(flags.num));
    return false;
  }
  Print("readseq", name, run, "", flags.num, Seconds(Clock::now() - start), nullptr);
  if (!ReadRandom(e.get(), flags, values, run, "big")) return false;

  std::mt19937_64 rng(flags.seed * 17 + static_cast<uint64_t>(run));
  start = Clock::now();
  for (uint64_t i = 0; i < flags.reads; i++) {
    uint64_t k = rng() % flags.num;
    if (!Check(e->Scan(Key(k), kSeekEntries, &found, &bytes), name + " seek")) return false;
    uint64_t expect = std::min<uint64_t>(kSeekEntries, flags.num - k);
    if (static_cast<uint64_t>(found) != expect) {
      std::fprintf(stderr, "error: %s seek %s: %d entries, expected %llu\n", name.c_str(),
                   Key(k).c_str(), found, static_cast<unsigned long long>(expect));
      return false;
    }
  }
  Print("seekrandom", name, run, "", flags.reads, Seconds(Clock::now() - start), nullptr);
  e->Close();

  EngineConfig small;
  small.cache_bytes = std::max<uint64_t>(logical / kReadSmallCacheRatio, kMinCacheBytes);
  e = OpenEngine(name, flags.dir, small, /*keep=*/true);
  if (e == nullptr || !ReadRandom(e.get(), flags, values, run, "small")) return false;
  return true;
}

}  // namespace

int ReadWorkloads(const PeerFlags& flags) {
  for (int run = 1; run <= flags.repeat; run++) {
    for (const std::string& name : flags.engines) {
      if (!ReadOnce(flags, name, run)) return 1;
    }
  }
  return 0;
}

}  // namespace cairn_bench
