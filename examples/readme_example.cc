#include <cairn/db.h>

#include <iostream>
#include <memory>

int main(int argc, char** argv) {
  std::string dir = argc > 1 ? argv[1] : "/tmp/cairn-example";

  cairn::Options options;  // create_if_missing = true by default
  std::unique_ptr<cairn::DB> db;
  cairn::Status s = cairn::DB::Open(options, dir, &db);
  if (!s.ok()) {
    std::cerr << "open: " << s.ToString() << "\n";
    return 1;
  }

  // Durable when it returns OK (WriteOptions::sync defaults to true).
  s = db->Put(cairn::WriteOptions(), "apple", "red");
  if (!s.ok()) {
    std::cerr << "put: " << s.ToString() << "\n";
    return 1;
  }

  // Several changes, applied atomically: all or none, also across a crash.
  cairn::WriteBatch batch;
  batch.Put("banana", "yellow");
  batch.Put("cherry", "dark red");
  batch.Delete("apple");
  s = db->Write(cairn::WriteOptions(), batch);
  if (!s.ok()) {
    std::cerr << "write: " << s.ToString() << "\n";
    return 1;
  }

  std::string value;
  s = db->Get(cairn::ReadOptions(), "banana", &value);
  if (!s.ok() || value != "yellow") {
    std::cerr << "get: " << s.ToString() << "\n";
    return 1;
  }

  // Keys in order: banana, cherry.
  std::unique_ptr<cairn::Iterator> it = db->NewIterator(cairn::ReadOptions());
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::cout << it->key() << " = " << it->value() << "\n";
  }
  if (!it->status().ok()) {
    std::cerr << "scan: " << it->status().ToString() << "\n";
    return 1;
  }
  it.reset();  // every iterator goes before the database closes

  // Close reports whether the final WAL sync and close succeeded (destroying the DB also
  // closes it, but can only log a failure).
  s = db->Close();
  if (!s.ok()) {
    std::cerr << "close: " << s.ToString() << "\n";
    return 1;
  }
  return 0;
}
