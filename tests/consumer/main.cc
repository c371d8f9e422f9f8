// A program outside the Cairn source tree that uses only the installed package: the public
// headers under <prefix>/include/cairn and the installed library. It proves an installed Cairn
// is usable: it opens a database in the directory named by argv[1], puts a key, reads it back,
// and exits 0 only if every step succeeded and the value round-tripped.
#include <cstdio>
#include <memory>
#include <string>

#include "cairn/db.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DB_DIR\n", argv[0]);
    return 2;
  }
  std::unique_ptr<cairn::DB> db;
  cairn::Status s = cairn::DB::Open(cairn::Options(), argv[1], &db);
  if (!s.ok()) {
    std::fprintf(stderr, "consumer: Open failed: %s\n", s.ToString().c_str());
    return 1;
  }
  s = db->Put(cairn::WriteOptions(), "consumer-key", "consumer-value");
  if (!s.ok()) {
    std::fprintf(stderr, "consumer: Put failed: %s\n", s.ToString().c_str());
    return 1;
  }
  std::string value;
  s = db->Get(cairn::ReadOptions(), "consumer-key", &value);
  if (!s.ok()) {
    std::fprintf(stderr, "consumer: Get failed: %s\n", s.ToString().c_str());
    return 1;
  }
  if (value != "consumer-value") {
    std::fprintf(stderr, "consumer: Get returned \"%s\", want \"consumer-value\"\n", value.c_str());
    return 1;
  }
  std::printf("consumer: ok\n");
  return 0;
}
