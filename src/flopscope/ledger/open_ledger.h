// One way in to the ledger for every front end: `--db` is an SQLite file path, or a
// PostgreSQL URL (postgresql://... or postgres://...).
#pragma once

#include <memory>
#include <string>

#include "flopscope/ledger/ledger_store.h"

namespace flopscope {

/// Opens (creating and migrating unless options.create is false) the ledger `db`:
/// PostgresLedger for a postgresql:// or postgres:// URL, SqliteLedger otherwise.
/// Errors: "PATH: cannot open ledger: no such file (create it with flopscope ledger import
/// --db PATH)" (not found, when options.create is false), and each back end's own.
Result<std::unique_ptr<LedgerStore>> open_ledger(const std::string& db, const LedgerOpenOptions& options = {});

/// `db` as messages and JSON documents show it: a URL without its password.
std::string ledger_display_name(const std::string& db);

}  // namespace flopscope
