// Importing files into the ledger: one transaction per file, idempotent.
//
// Guarantees (docs/ledger.md, "Guarantees"):
// - A file whose SHA-256 (with the options that change its rows) is in `imports` adds
//   nothing; rows already present from an overlapping file (same billing row, same GPU
//   sample time, same job step) are skipped one by one.
// - The whole file is one transaction: a malformed row refuses the file, naming file,
//   line and column, and the ledger stays as it was; a killed import leaves nothing.
// - Two importers wait for each other (busy timeout) and both succeed.
#pragma once

#include <string>
#include <string_view>

#include "flopscope/ledger/importers.h"
#include "flopscope/ledger/ledger_store.h"

namespace flopscope {

struct ImportOutcome {
  std::string path;
  LedgerFormat format = LedgerFormat::kFocus;
  bool already_imported = false;  ///< the same file was imported before: nothing read
  int64_t rows_read = 0;
  int64_t rows_added = 0;         ///< rows_read minus the rows already in the ledger
};

/// Imports `text` (read from `origin`) in one transaction. Never throws.
Result<ImportOutcome> import_text(LedgerStore& store, std::string_view text, const std::string& origin,
                                  const ImportOptions& options);

/// Reads the file at `path` and imports it (import_text). Files over 2 GiB and devices are refused.
Result<ImportOutcome> import_file(LedgerStore& store, const std::string& path, const ImportOptions& options);

}  // namespace flopscope
