// transaction is a write transaction opened with BEGIN IMMEDIATE, so the
// write lock is taken up front and a busy database is reported at the start
// rather than half-way through. Opened inside another transaction it is a
// savepoint, so several writes can share one commit (one disk sync). It
// rolls back in the destructor unless commit() was called.
//
// Thread-safety: same as the database it runs on.
#pragma once

namespace bluegreen::storage {

class database;

class transaction {
 public:
  explicit transaction(database& db);
  ~transaction();
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;

  void commit();

 private:
  database& db_;
  bool nested_;
  bool done_ = false;
};

}  // namespace bluegreen::storage
