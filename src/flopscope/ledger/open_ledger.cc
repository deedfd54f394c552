#include "flopscope/ledger/open_ledger.h"

#include <filesystem>

#include "flopscope/ledger/postgres_ledger.h"
#include "flopscope/ledger/sqlite_ledger.h"

namespace flopscope {

Result<std::unique_ptr<LedgerStore>> open_ledger(const std::string& db, const LedgerOpenOptions& options) {
  if (is_postgres_url(db)) {
    auto pg = PostgresLedger::open(db, options);
    if (!pg) return pg.error();
    return std::unique_ptr<LedgerStore>(std::move(*pg));
  }
  std::error_code ec;
  if (!options.create && !std::filesystem::exists(db, ec)) {
    // A mistyped path must not create an empty ledger.
    return not_found(db + ": cannot open ledger: no such file (create it with flopscope ledger import --db " + db + ")");
  }
  SqliteOptions o;
  o.migrate_to = options.migrate_to;
  auto lite = SqliteLedger::open(db, o);
  if (!lite) return lite.error();
  return std::unique_ptr<LedgerStore>(std::move(*lite));
}

std::string ledger_display_name(const std::string& db) { return is_postgres_url(db) ? redact_postgres_url(db) : db; }

}  // namespace flopscope
