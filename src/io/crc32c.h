// CRC32C (Castagnoli polynomial, as in iSCSI/ext4/RocksDB): the checksum abacus stores with
// every tensor and file it writes, so a flipped bit is an error instead of a different model.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace abacus::io {

// crc32c(data) continuing from `crc` (0 for a fresh checksum). crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, std::size_t n, uint32_t crc = 0);

// 8 lowercase hex digits, and back (false if `s` is not exactly that).
std::string crc32c_hex(uint32_t crc);
bool parse_crc32c_hex(const std::string& s, uint32_t* out);

}  // namespace abacus::io
