// SkipList: an ordered set with one writer and any number of concurrent lock-free readers.
//
// Invariants that make lock-free reads safe:
//   - nodes are never removed or changed after insertion (memory comes from an Arena and is
//     freed only when the whole list is destroyed);
//   - a node is fully initialised before it is published with a release store of its
//     predecessor's next pointer; readers follow pointers with acquire loads, so they see
//     either the old list or the new node complete.
// The writer must be externally serialised (in Cairn: the group-commit leader, or recovery).
// `Comparator` is a callable `int(const Key&, const Key&)`.
#ifndef CAIRN_MEMTABLE_SKIPLIST_H_
#define CAIRN_MEMTABLE_SKIPLIST_H_

#include <atomic>
#include <cassert>
#include <cstdint>
#include <new>
#include <random>
#include <type_traits>

#include "memtable/arena.h"

namespace cairn {

template <typename Key, typename Comparator>
class SkipList {
 private:
  struct Node;

 public:
  SkipList(Comparator compare, Arena* arena)
      : compare_(compare), arena_(arena), head_(NewNode(Key(), kMaxHeight)), rng_(0x5eed) {
    for (int i = 0; i < kMaxHeight; i++) {
      head_->SetNext(i, nullptr);
      tail_[i] = head_;
    }
  }
  SkipList(const SkipList&) = delete;
  SkipList& operator=(const SkipList&) = delete;

  // Inserts `key`, which must not compare equal to any key present. Writer only.
  void Insert(const Key& key) {
    const int height = RandomHeight();
    Link(NewNode(key, height, /*extra_bytes=*/0), height);
  }

  // A node allocated with room for its key's bytes right after its links (AllocateInline), so
  // that comparing against the node reads the cache line the links are on instead of a
  // separate allocation: a random insert follows ~20 nodes, and each extra cache miss costs
  // more than the comparison. Only for Key = const char*.
  class InlineNode {
   public:
    // Where the caller writes the key's bytes (as many as it asked for).
    char* storage() const { return storage_; }

   private:
    friend class SkipList;
    Node* node_ = nullptr;
    int height_ = 0;
    char* storage_ = nullptr;
  };

  // Allocates a node whose key is `bytes` bytes of storage inside the node's own allocation.
  // The caller fills storage() and then calls Insert(node). Writer only.
  InlineNode AllocateInline(size_t bytes) {
    static_assert(std::is_same_v<Key, const char*>);
    InlineNode inline_node;
    inline_node.height_ = RandomHeight();
    inline_node.node_ = NewNode(nullptr, inline_node.height_, bytes);
    inline_node.storage_ = const_cast<char*>(inline_node.node_->key);
    return inline_node;
  }

  // Inserts a node from AllocateInline whose storage now holds its key. Writer only.
  void Insert(const InlineNode& inline_node) { Link(inline_node.node_, inline_node.height_); }

  // A cursor over the list. Valid while the list lives.
  class Iterator;

 private:
  // Links `node` (height `height`, not yet reachable) into every level it belongs to.
  void Link(Node* node, int height) {
    Node* prev[kMaxHeight];
    int current = max_height_.load(std::memory_order_relaxed);
    if (tail_[0] == head_ || compare_(tail_[0]->key, node->key) < 0) {
      // After every key present (ascending inserts: sequential keys, a replayed log): the
      // predecessors are the last node of each level, found without a search.
      for (int i = 0; i < current; i++) {
        prev[i] = tail_[i];
      }
    } else {
      Node* found = FindGreaterOrEqual(node->key, prev);
      assert(found == nullptr || compare_(found->key, node->key) != 0);
      (void)found;
    }
    if (height > current) {
      for (int i = current; i < height; i++) {
        prev[i] = head_;
      }
      // Readers that see the new height before the node find head_ pointing at nullptr on
      // the new levels, which they treat as the end of that level: harmless.
      max_height_.store(height, std::memory_order_relaxed);
    }
    for (int i = 0; i < height; i++) {
      Node* next = prev[i]->NextRelaxed(i);
      node->SetNextRelaxed(i, next);
      prev[i]->SetNext(i, node);  // publishes the node on level i
      if (next == nullptr) {
        tail_[i] = node;  // now the last node of level i
      }
    }
  }

 public:
  class Iterator {
   public:
    explicit Iterator(const SkipList* list) : list_(list) {}
    bool Valid() const { return node_ != nullptr; }
    const Key& key() const {
      assert(Valid());
      return node_->key;
    }
    void Next() {
      assert(Valid());
      node_ = node_->Next(0);
    }
    void Prev() {
      assert(Valid());
      node_ = list_->FindLessThan(node_->key);
      if (node_ == list_->head_) {
        node_ = nullptr;
      }
    }
    void Seek(const Key& target) { node_ = list_->FindGreaterOrEqual(target, nullptr); }
    void SeekToFirst() { node_ = list_->head_->Next(0); }
    void SeekToLast() {
      node_ = list_->FindLast();
      if (node_ == list_->head_) {
        node_ = nullptr;
      }
    }

   private:
    const SkipList* list_;
    Node* node_ = nullptr;
  };

 private:
  static constexpr int kMaxHeight = 12;
  static constexpr unsigned kBranching = 4;

  struct Node {
    explicit Node(const Key& k) : key(k) {}
    Key const key;

    Node* Next(int level) const { return next_[level].load(std::memory_order_acquire); }
    void SetNext(int level, Node* node) { next_[level].store(node, std::memory_order_release); }
    Node* NextRelaxed(int level) const { return next_[level].load(std::memory_order_relaxed); }
    void SetNextRelaxed(int level, Node* node) {
      next_[level].store(node, std::memory_order_relaxed);
    }

    // Over-allocated: a node of height h has h slots here.
    std::atomic<Node*> next_[1];
  };

  // A node of `height` links; with extra_bytes > 0, its key is that many bytes of storage
  // right after the links (AllocateInline) and `key` is ignored.
  Node* NewNode(const Key& key, int height, size_t extra_bytes = 0) {
    size_t bytes = sizeof(Node) + sizeof(std::atomic<Node*>) * static_cast<size_t>(height - 1);
    char* memory = arena_->Allocate(bytes + extra_bytes);
    Node* node = nullptr;
    if constexpr (std::is_same_v<Key, const char*>) {
      node = new (memory) Node(extra_bytes > 0 ? memory + bytes : key);
    } else {
      assert(extra_bytes == 0);
      node = new (memory) Node(key);
    }
    for (int i = 1; i < height; i++) {
      new (&node->next_[i]) std::atomic<Node*>(nullptr);
    }
    return node;
  }

  int RandomHeight() {
    int height = 1;
    while (height < kMaxHeight && (rng_() % kBranching) == 0) {
      height++;
    }
    return height;
  }

  bool KeyIsAfterNode(const Key& key, Node* node) const {
    return node != nullptr && compare_(node->key, key) < 0;
  }

  // The first node >= key; fills prev[level] with the last node < key on each level.
  Node* FindGreaterOrEqual(const Key& key, Node** prev) const {
    Node* x = head_;
    int level = max_height_.load(std::memory_order_relaxed) - 1;
    for (;;) {
      Node* next = x->Next(level);
      if (KeyIsAfterNode(key, next)) {
        x = next;
      } else {
        if (prev != nullptr) {
          prev[level] = x;
        }
        if (level == 0) {
          return next;
        }
        level--;
      }
    }
  }

  // The last node < key, or head_.
  Node* FindLessThan(const Key& key) const {
    Node* x = head_;
    int level = max_height_.load(std::memory_order_relaxed) - 1;
    for (;;) {
      Node* next = x->Next(level);
      if (next != nullptr && compare_(next->key, key) < 0) {
        x = next;
      } else if (level == 0) {
        return x;
      } else {
        level--;
      }
    }
  }

  // The last node, or head_ if empty.
  Node* FindLast() const {
    Node* x = head_;
    int level = max_height_.load(std::memory_order_relaxed) - 1;
    for (;;) {
      Node* next = x->Next(level);
      if (next != nullptr) {
        x = next;
      } else if (level == 0) {
        return x;
      } else {
        level--;
      }
    }
  }

  Comparator const compare_;
  Arena* const arena_;
  Node* const head_;
  std::atomic<int> max_height_{1};
  std::minstd_rand rng_;  // writer only
  // The last node of each level (head_ while a level is empty). Writer only.
  Node* tail_[kMaxHeight];
};

}  // namespace cairn

#endif  // CAIRN_MEMTABLE_SKIPLIST_H_
