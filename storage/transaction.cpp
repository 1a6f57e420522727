#include "storage/transaction.hpp"

#include "storage/database.hpp"
#include "storage/error.hpp"

namespace bluegreen::storage {

transaction::transaction(database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

transaction::~transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (const error&) {
      // The transaction is already gone (SQLite rolls back on some errors).
    }
  }
}

void transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace bluegreen::storage
