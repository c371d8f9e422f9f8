// WriteQueue: group commit. Concurrent writers queue up; the writer at the front becomes the
// leader, takes a group of the writers behind it, commits them all with one WAL write and at
// most one fdatasync, and then wakes each with its own result. The next writer in line then
// leads the next group, so commits are strictly ordered.
//
// Thread safety: all methods are thread-safe. The queue has its own mutex; the leader holds
// no lock while it commits.
#ifndef CAIRN_DB_WRITE_QUEUE_H_
#define CAIRN_DB_WRITE_QUEUE_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "cairn/status.h"
#include "cairn/write_batch.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace cairn {

class WriteQueue {
 public:
  struct Writer {
    Writer(const WriteBatch* b, bool s, bool switch_only = false)
        : batch(b), sync(s), force_switch(switch_only) {}
    // An empty batch with sync set is a sync request (DB::SyncWal): it joins any group and
    // makes it sync, writing nothing itself.
    const WriteBatch* const batch;
    const bool sync;
    // A request to switch the MemTable (DB::Flush) rather than a write; always leads a group
    // of its own.
    const bool force_switch;
    uint64_t first_sequence = 0;  // assigned by the leader
    Status status;                // set before done
    // Guarded by the queue's mu_ (not expressible as an annotation from this nested type).
    bool done = false;
    CondVar cv;
  };

  // Queues `writer` and blocks until it is either done (a leader committed it: return false,
  // its status is set) or at the front of the queue (return true: the caller is the leader
  // and must call FormGroup and then FinishGroup).
  bool JoinAndWaitForLeadership(Writer* writer);

  // Called by the leader: the group it commits, starting with itself. The group is bounded
  // by bytes (kMaxGroupCommitBytes; less behind a small leader batch).
  std::vector<Writer*> FormGroup(Writer* leader);

  // Called by the leader after setting each writer's status: removes the group from the
  // queue, wakes its members, and hands leadership to the next writer in line.
  void FinishGroup(const std::vector<Writer*>& group);

 private:
  Mutex mu_;
  std::deque<Writer*> queue_ GUARDED_BY(mu_);
};

}  // namespace cairn

#endif  // CAIRN_DB_WRITE_QUEUE_H_
