#include "storage/transaction.hpp"

#include <sqlite3.h>

#include "storage/database.hpp"
#include "storage/error.hpp"

namespace bluegreen::storage {

// The outermost transaction is BEGIN IMMEDIATE; one opened inside it is a
// savepoint, so a caller can make several repository writes one commit.
transaction::transaction(database& db, durability how)
    : db_(db),
      nested_(sqlite3_get_autocommit(db.handle()) == 0),
      relaxed_(!nested_ && how == durability::relaxed) {
  // synchronous can only change outside a transaction.
  if (relaxed_) db_.exec("PRAGMA synchronous=NORMAL");
  try {
    db_.exec(nested_ ? "SAVEPOINT nested" : "BEGIN IMMEDIATE");
  } catch (...) {
    if (relaxed_) db_.exec("PRAGMA synchronous=FULL");
    throw;
  }
}

transaction::~transaction() {
  if (!done_) {
    try {
      db_.exec(nested_ ? "ROLLBACK TO nested; RELEASE nested" : "ROLLBACK");
    } catch (const error&) {
      // The transaction is already gone (SQLite rolls back on some errors).
    }
  }
  if (relaxed_) {
    try {
      db_.exec("PRAGMA synchronous=FULL");
    } catch (const error&) {
      // Nothing to be done in a destructor; the next open sets it again.
    }
  }
}

void transaction::commit() {
  db_.exec(nested_ ? "RELEASE nested" : "COMMIT");
  done_ = true;
  if (relaxed_) {
    db_.exec("PRAGMA synchronous=FULL");
    relaxed_ = false;
  }
  if (!nested_) db_.committed();
}

}  // namespace bluegreen::storage
