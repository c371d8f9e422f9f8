// Shared helpers of cairn_bench (bench.h).
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "bench.h"

namespace cairn_bench {

Summary Summarize(std::vector<double> samples) {
  Summary s;
  if (samples.empty()) {
    return s;
  }
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
  };
  double sum = 0;
  for (double v : samples) sum += v;
  s.count = samples.size();
  s.p50_us = at(0.5);
  s.p99_us = at(0.99);
  s.p999_us = at(0.999);
  s.max_us = samples.back();
  s.mean_us = sum / static_cast<double>(samples.size());
  return s;
}

Line::Line(std::string mode) { fields_.emplace_back("mode", std::move(mode)); }

Line& Line::Add(const std::string& key, double value, int precision) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", precision, value);
  fields_.emplace_back(key, buf);
  numbers_.emplace_back(key, value);
  return *this;
}

Line& Line::Add(const std::string& key, const std::string& value) {
  fields_.emplace_back(key, value);
  return *this;
}

Line& Line::AddSummary(const std::string& prefix, const Summary& s) {
  Add(prefix + "_count", static_cast<double>(s.count), 0);
  Add(prefix + "_p50_us", s.p50_us);
  Add(prefix + "_p99_us", s.p99_us);
  Add(prefix + "_p999_us", s.p999_us);
  Add(prefix + "_max_us", s.max_us);
  return *this;
}

void Line::Print() const {
  std::string out;
  for (const auto& [key, value] : fields_) {
    out += (out.empty() ? "" : " ") + key + "=" + value;
  }
  std::printf("%s\n", out.c_str());
  std::fflush(stdout);
}

void Runs::Add(const Line& line) {
  Line numbered(mode_);
  numbered.Add("run", std::to_string(runs_.size() + 1));
  for (size_t i = 1; i < line.fields().size(); i++) {
    numbered.Add(line.fields()[i].first, line.fields()[i].second);
  }
  numbered.Print();
  runs_.push_back(line.numbers());
}

void Runs::PrintSummary() const {
  if (runs_.empty()) {
    return;
  }
  // Fields present in the first run, in its order; a run missing one is skipped for it.
  const auto& keys = runs_.front();
  for (const char* which : {"median", "min", "max"}) {
    Line line(mode_);
    line.Add("run", which);
    line.Add("runs", std::to_string(runs_.size()));
    for (const auto& [key, unused] : keys) {
      std::vector<double> values;
      for (const auto& run : runs_) {
        for (const auto& [k, v] : run) {
          if (k == key) {
            values.push_back(v);
            break;
          }
        }
      }
      std::sort(values.begin(), values.end());
      double v = values.front();
      if (std::string(which) == "median") {
        size_t n = values.size();
        v = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
      } else if (std::string(which) == "max") {
        v = values.back();
      }
      // Keep integers readable and latencies to 0.1 us.
      line.Add(key, v, std::floor(v) == v && std::fabs(v) < 1e15 ? 0 : (std::fabs(v) < 10 ? 3 : 1));
    }
    line.Print();
  }
}

std::string Key(uint64_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "k%015llu", static_cast<unsigned long long>(i));
  return buf;  // 16 bytes
}

ValueSource::ValueSource(size_t size, uint64_t seed) : size_(size) {
  std::mt19937_64 rng(seed);
  buffer_.resize(std::max<size_t>(size * 4, 1u << 20));
  for (char& c : buffer_) c = static_cast<char>(rng());
}

std::string_view ValueSource::Next() {
  if (offset_ + size_ > buffer_.size()) {
    offset_ = 0;
  }
  std::string_view v(buffer_.data() + offset_, size_);
  offset_ += 97;  // not a multiple of anything the engine aligns to
  return v;
}

void Fresh(const std::string& dir) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
}

uint64_t BytesWithSuffix(const std::string& dir, const std::string& suffix) {
  uint64_t total = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.size() >= suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      total += entry.file_size();
    }
  }
  return total;
}

bool DropPageCache() {
  ::sync();
  std::ofstream out("/proc/sys/vm/drop_caches");
  if (!out) {
    return false;
  }
  out << "3\n";
  out.flush();
  return static_cast<bool>(out);
}

std::unique_ptr<cairn::DB> OpenOrReport(const cairn::Options& options, const std::string& dir) {
  std::unique_ptr<cairn::DB> db;
  cairn::Status st = cairn::DB::Open(options, dir, &db);
  if (!st.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), st.ToString().c_str());
    return nullptr;
  }
  return db;
}

std::string Property(cairn::DB* db, const std::string& name) {
  std::string value;
  if (!db->GetProperty(name, &value)) {
    return "";
  }
  return value;
}

double NumberProperty(cairn::DB* db, const std::string& name) {
  std::string value = Property(db, name);
  if (value.empty()) {
    return 0;
  }
  char* end = nullptr;
  double v = std::strtod(value.c_str(), &end);
  return end == value.c_str() ? 0 : v;
}

}  // namespace cairn_bench
