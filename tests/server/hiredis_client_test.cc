// Drives a running `cairn serve` with hiredis, the C client most language bindings wrap:
// proves every reply type decodes as hiredis expects (status, bulk, nil, integer, array,
// error), that 10000 pipelined commands come back complete and in order, and that INCR from 8
// threads with their own connections loses no update.
//
// Usage: hiredis_client_test PORT (run by tests/server/run_with_server.py). Exit 0 on success;
// 1 with the failed check on stderr.
#include <hiredis/hiredis.h>

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

int g_port = 0;
constexpr int kPipelined = 10000;
constexpr int kThreads = 8;
constexpr int kIncrsPerThread = 500;

struct ContextDeleter {
  void operator()(redisContext* c) const { redisFree(c); }
};
struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Context = std::unique_ptr<redisContext, ContextDeleter>;
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

[[noreturn]] void Fail(const std::string& what) {
  fprintf(stderr, "hiredis_client_test: FAIL %s\n", what.c_str());
  exit(1);
}

Context Connect() {
  Context c(redisConnect("127.0.0.1", g_port));
  if (c == nullptr || c->err != 0) {
    Fail(std::string("connect: ") + (c ? c->errstr : "out of memory"));
  }
  return c;
}

Reply Command(redisContext* c, const char* format, ...) {
  va_list ap;
  va_start(ap, format);
  void* reply = redisvCommand(c, format, ap);
  va_end(ap);
  if (reply == nullptr) {
    Fail(std::string("command failed: ") + c->errstr);
  }
  return Reply(static_cast<redisReply*>(reply));
}

void Expect(bool condition, const std::string& what) {
  if (!condition) {
    Fail(what);
  }
}

void TestReplyTypes() {
  Context c = Connect();
  Reply r = Command(c.get(), "SET %s %b", "hk", "a\0b", static_cast<size_t>(3));
  Expect(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0, "SET status");
  r = Command(c.get(), "GET hk");
  Expect(r->type == REDIS_REPLY_STRING && r->len == 3 && memcmp(r->str, "a\0b", 3) == 0,
         "GET binary bulk");
  r = Command(c.get(), "GET hk-missing");
  Expect(r->type == REDIS_REPLY_NIL, "GET nil");
  r = Command(c.get(), "INCRBY hcount 5");
  Expect(r->type == REDIS_REPLY_INTEGER && r->integer == 5, "INCRBY integer");
  r = Command(c.get(), "MGET hk hk-missing");
  Expect(r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
             r->element[1]->type == REDIS_REPLY_NIL,
         "MGET array");
  r = Command(c.get(), "NOSUCHCOMMAND");
  Expect(r->type == REDIS_REPLY_ERROR && strstr(r->str, "unknown command") != nullptr,
         "unknown command error");
  r = Command(c.get(), "SCAN 0 COUNT 1000");
  Expect(r->type == REDIS_REPLY_ARRAY && r->elements == 2, "SCAN reply shape");
}

void TestPipelining() {
  Context c = Connect();
  for (int i = 0; i < kPipelined; i++) {
    std::string key = "hp" + std::to_string(i);
    if (i % 2 == 0) {
      redisAppendCommand(c.get(), "SET %s %d", key.c_str(), i);
    } else {
      redisAppendCommand(c.get(), "ECHO %d", i);
    }
  }
  for (int i = 0; i < kPipelined; i++) {
    void* raw = nullptr;
    if (redisGetReply(c.get(), &raw) != REDIS_OK) {
      Fail(std::string("pipelined reply: ") + c->errstr);
    }
    Reply r(static_cast<redisReply*>(raw));
    if (i % 2 == 0) {
      Expect(r->type == REDIS_REPLY_STATUS, "pipelined SET " + std::to_string(i));
    } else {
      Expect(r->type == REDIS_REPLY_STRING && std::string(r->str, r->len) == std::to_string(i),
             "pipelined ECHO in order " + std::to_string(i));
    }
  }
}

void TestConcurrentIncr() {
  Context c = Connect();
  Reply r = Command(c.get(), "DEL hconcurrent");
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([] {
      Context mine = Connect();
      for (int i = 0; i < kIncrsPerThread; i++) {
        Reply reply = Command(mine.get(), "INCR hconcurrent");
        Expect(reply->type == REDIS_REPLY_INTEGER, "INCR integer");
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  r = Command(c.get(), "GET hconcurrent");
  Expect(r->type == REDIS_REPLY_STRING &&
             std::string(r->str, r->len) == std::to_string(kThreads * kIncrsPerThread),
         "no INCR lost");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: hiredis_client_test PORT\n");
    return 2;
  }
  g_port = atoi(argv[1]);
  TestReplyTypes();
  TestPipelining();
  TestConcurrentIncr();
  printf("hiredis_client_test: PASS\n");
  return 0;
}
