// ScanCursors: the server side of SCAN cursors.
//
// Redis clients treat a SCAN cursor as an unsigned 64-bit number (redis-cli and redis-py parse
// it), while Cairn's natural cursor is a key: "continue at the first key >= K". This table
// maps numbers to resume keys. Numbers are never reused within a server's life (a counter
// starting at a random offset, so cursors of a previous run are unlikely to alias), "0" means
// start (and, returned, end). The table is bounded by kMaxScanCursors entries and
// kMaxScanCursorBytes of keys; the oldest cursors are forgotten first, after which Lookup
// fails and SCAN replies "-ERR invalid cursor".
//
// Not thread-safe: owned by the event loop.
#ifndef CAIRN_SERVER_SCAN_CURSORS_H_
#define CAIRN_SERVER_SCAN_CURSORS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

namespace cairn::server {

class ScanCursors {
 public:
  ScanCursors(size_t max_cursors, size_t max_bytes, uint64_t first_id);

  // Registers `resume_key` and returns its cursor number (never 0).
  uint64_t Add(std::string resume_key);
  // Finds the resume key of `cursor`; false if unknown or forgotten.
  bool Lookup(uint64_t cursor, std::string* resume_key) const;

  size_t size() const { return keys_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  void EvictOldest();

  size_t max_cursors_;
  size_t max_bytes_;
  uint64_t next_id_;
  size_t bytes_ = 0;
  std::unordered_map<uint64_t, std::string> keys_;
  std::deque<uint64_t> order_;  // oldest first
};

}  // namespace cairn::server

#endif  // CAIRN_SERVER_SCAN_CURSORS_H_
