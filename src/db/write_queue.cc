#include "db/write_queue.h"

#include <cassert>

#include "util/constants.h"

namespace cairn {

bool WriteQueue::JoinAndWaitForLeadership(Writer* writer) {
  MutexLock lock(&mu_);
  queue_.push_back(writer);
  while (!writer->done && queue_.front() != writer) {
    writer->cv.Wait(&mu_);
  }
  return !writer->done;
}

std::vector<WriteQueue::Writer*> WriteQueue::FormGroup(Writer* leader) {
  MutexLock lock(&mu_);
  assert(!queue_.empty() && queue_.front() == leader);
  size_t bytes = leader->batch->ApproximateSizeBytes();
  size_t limit = bytes <= kSmallBatchBytes ? kSmallBatchGroupBytes : kMaxGroupCommitBytes;
  std::vector<Writer*> group;
  group.push_back(leader);
  if (leader->force_switch) {
    return group;
  }
  for (size_t i = 1; i < queue_.size() && !queue_[i]->force_switch; i++) {
    size_t next = queue_[i]->batch->ApproximateSizeBytes();
    if (bytes + next > limit) {
      break;
    }
    bytes += next;
    group.push_back(queue_[i]);
  }
  return group;
}

void WriteQueue::FinishGroup(const std::vector<Writer*>& group) {
  MutexLock lock(&mu_);
  for (Writer* writer : group) {
    assert(queue_.front() == writer);
    queue_.pop_front();
    if (writer != group.front()) {
      writer->done = true;
      writer->cv.Signal();
    }
  }
  if (!queue_.empty()) {
    queue_.front()->cv.Signal();  // the next leader
  }
}

}  // namespace cairn
