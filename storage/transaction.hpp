// transaction is a write transaction opened with BEGIN IMMEDIATE, so the
// write lock is taken up front and a busy database is reported at the start
// rather than half-way through. Opened inside another transaction it is a
// savepoint, so several writes can share one commit (one disk sync). It
// rolls back in the destructor unless commit() was called.
//
// A relaxed transaction commits without waiting for the disk: for data
// derived from what is already stored (the event stream's app.changed),
// which a power loss may lose but never corrupt. The next durable commit
// syncs it to disk with its own (WAL mode).
//
// Thread-safety: same as the database it runs on.
#pragma once

namespace bluegreen::storage {

class database;

class transaction {
 public:
  enum class durability { full, relaxed };

  explicit transaction(database& db, durability how = durability::full);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  void commit();

 private:
  database& db_;
  bool nested_;
  bool relaxed_;  // outermost and relaxed: synchronous is NORMAL until it ends
  bool done_ = false;
};

}  // namespace bluegreen::storage
