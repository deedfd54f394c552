// SHA-256 (FIPS 180-4) of a byte string, as 64 lowercase hex digits: the identity of an
// imported file (a file whose hash the ledger holds is not imported again).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace flopscope {

std::string sha256_hex(std::string_view bytes);

/// 64-bit FNV-1a: the key of one billing row (with its occurrence number), so that an export
/// that repeats rows of an earlier one adds only the new rows.
uint64_t fnv1a64(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ULL);

}  // namespace flopscope
