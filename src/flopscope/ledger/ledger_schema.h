// The ledger's schema, written once for both back ends (SqliteLedger, PostgresLedger).
//
// Migration N takes a ledger from version N-1 to N. The text is shared: the few types the
// two databases spell differently are placeholders ({id}, {int}, {real}) that
// ledger_migration() fills in for the dialect. Append only: a released step never changes
// (the SQLite text is byte for byte what version 1 and 2 of the SQLite ledger ran).
#pragma once

#include <string>

namespace flopscope {

/// The schema version this build writes.
inline constexpr int kLedgerSchemaVersion = 2;

enum class SqlDialect { kSqlite, kPostgres };

/// The SQL (several statements) of migration `n`, 1 <= n <= kLedgerSchemaVersion.
std::string ledger_migration(int n, SqlDialect dialect);

}  // namespace flopscope
