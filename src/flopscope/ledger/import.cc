#include "flopscope/ledger/import.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <filesystem>
#include <new>

#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/sha256.h"
#include "flopscope/util/file.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/text.h"

namespace flopscope {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(LedgerFormat::kCount)> kFormatNames = {
    "focus", "nvidia-smi", "dcgm", "jsonl", "trainer-state"};
static_assert(kFormatNames.size() == 5, "one name per LedgerFormat");

// ~16 million billing rows; a larger export is imported in parts.
constexpr size_t kMaxImportBytes = size_t{2} << 30;

}  // namespace

std::string_view ledger_format_name(LedgerFormat f) { return kFormatNames[static_cast<size_t>(f)]; }

Result<LedgerFormat> parse_ledger_format(std::string_view name) {
  for (size_t i = 0; i < kFormatNames.size(); ++i) {
    if (kFormatNames[i] == name) return static_cast<LedgerFormat>(i);
  }
  std::vector<std::string> names(kFormatNames.begin(), kFormatNames.end());
  return bad_input("--format: unknown format '" + std::string(name) + "'" + did_you_mean(name, names) +
                   " (expected one of focus, nvidia-smi, dcgm, jsonl, trainer-state)");
}

Result<LedgerFormat> detect_ledger_format(std::string_view text, std::string_view origin) {
  std::string_view t = text;
  if (t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);
  size_t i = t.find_first_not_of(" \t\r\n");
  if (i != std::string_view::npos) {
    std::string_view head = t.substr(i, 4096);
    std::string_view first_line = head.substr(0, head.find('\n'));
    if (head.front() == '{') {
      // A trainer_state.json is one (pretty-printed) object with log_history; JSONL is one object per line.
      if (t.find("\"log_history\"") != std::string_view::npos && first_line.find("\"step\"") == std::string_view::npos) {
        return LedgerFormat::kTrainerState;
      }
      return LedgerFormat::kProgressJsonl;
    }
    if (head.find("DCGM_FI_") != std::string_view::npos && (head.front() == '#' || head.substr(0, 5) == "DCGM_")) {
      return LedgerFormat::kDcgm;
    }
    if (first_line.find("ChargePeriodStart") != std::string_view::npos &&
        first_line.find("BilledCost") != std::string_view::npos) {
      return LedgerFormat::kFocus;
    }
    if (first_line.find("timestamp") != std::string_view::npos &&
        (first_line.find("utilization.gpu") != std::string_view::npos ||
         first_line.find("power.draw") != std::string_view::npos ||
         first_line.find("memory.used") != std::string_view::npos)) {
      return LedgerFormat::kNvidiaSmi;
    }
  }
  return bad_input(std::string(origin) +
                   ": cannot tell the format (expected a FOCUS CSV, an nvidia-smi CSV, a DCGM scrape, a progress "
                   "JSONL or a trainer_state.json); pass --format");
}

Result<ImportOutcome> import_text(LedgerStore& store, std::string_view text, const std::string& origin,
                                  const ImportOptions& options) {
  ImportOutcome out;
  out.path = origin;
  try {
    if (options.format) {
      out.format = *options.format;
    } else {
      auto f = detect_ledger_format(text, origin);
      if (!f) return f.error();
      out.format = *f;
    }
    // Both back ends hold text as UTF-8 (PostgreSQL refuses anything else): refuse the file
    // here, where the line and column can be named.
    if (size_t bad = first_non_text_byte(text); bad != std::string_view::npos) {
      const size_t line_start = text.rfind('\n', bad == 0 ? 0 : bad - 1);
      const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<ptrdiff_t>(bad), '\n'));
      const size_t column = line_start == std::string_view::npos || bad == 0 ? bad + 1 : bad - line_start;
      return bad_input(fmt::format("{}: line {}, column {}: expected UTF-8 text, got {}", origin, line, column,
                                   text[bad] == '\0' ? std::string("a NUL byte")
                                                      : fmt::format("byte 0x{:02X}", static_cast<unsigned char>(text[bad]))));
    }
    // The options that change the rows are part of the file's identity: the same log imported
    // again under another --job is another import.
    std::string identity = sha256_hex(text);
    identity = sha256_hex(fmt::format("{}|{}|{}|{}|{}|{}", identity, ledger_format_name(out.format), options.job,
                                      options.host, options.job_tag,
                                      options.unix_seconds_scrape ? fmt::format("{}", *options.unix_seconds_scrape) : ""));
    // A path may be any bytes; the ledger holds UTF-8 text.
    auto begun = store.begin_import({identity, valid_utf8(origin), std::string(ledger_format_name(out.format))});
    if (!begun) return begun.error();
    if (!*begun) {
      out.already_imported = true;
      return out;
    }
    RowSink sink(store);
    Status st;
    switch (out.format) {
      case LedgerFormat::kFocus: st = import_focus(text, origin, options, sink); break;
      case LedgerFormat::kNvidiaSmi: st = import_nvidia_smi(text, origin, options, sink); break;
      case LedgerFormat::kDcgm: st = import_dcgm(text, origin, options, sink); break;
      case LedgerFormat::kProgressJsonl: st = import_progress_jsonl(text, origin, options, sink); break;
      case LedgerFormat::kTrainerState: st = import_trainer_state(text, origin, options, sink); break;
      case LedgerFormat::kCount: st = failure("bad format"); break;
    }
    if (!st) {
      store.rollback_import();
      return st.error();
    }
    auto added = store.commit_import();
    if (!added) {
      store.rollback_import();
      return added.error();
    }
    out.rows_read = sink.rows_read();
    out.rows_added = *added;
    return out;
  } catch (const std::bad_alloc&) {
    store.rollback_import();
    return failure(origin + ": out of memory while importing; the ledger is unchanged");
  } catch (const std::exception& e) {
    store.rollback_import();
    return failure(origin + ": internal error while importing (" + e.what() + "); the ledger is unchanged");
  }
}

Result<ImportOutcome> import_file(LedgerStore& store, const std::string& path, const ImportOptions& options) {
  // A device (/dev/zero, /dev/urandom) never ends: refuse it before reading.
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (!ec && (std::filesystem::is_character_file(st) || std::filesystem::is_block_file(st))) {
    return bad_input(path + ": expected a file, got a device");
  }
  auto text = read_file(path, kMaxImportBytes);
  if (!text) return text.error();
  return import_text(store, *text, path, options);
}

}  // namespace flopscope
