// Reading and writing firmware tables byte by byte: ACPI tables (and the
// structures inside them) are packed and unaligned, little-endian, and
// every table's bytes sum to 0 modulo 256. Shared by the ACPI walker
// (common/acpi.cpp), its writer (common/acpi_hide.cpp) and the DMAR parser
// (vmm/vtd/dmar.cpp).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace acpi::bytes {

inline uint16_t read16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

inline uint32_t read32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

inline uint64_t read64(const uint8_t* p) {
  return static_cast<uint64_t>(read32(p)) | (static_cast<uint64_t>(read32(p + 4)) << 32);
}

inline void write32(uint8_t* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

inline bool same_bytes(const uint8_t* p, const char* text, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != static_cast<uint8_t>(text[i])) return false;
  }
  return true;
}

// The bytes' sum modulo 256 (0 for a table whose checksum holds).
inline uint8_t sum(const uint8_t* p, size_t n) {
  uint8_t total = 0;
  for (size_t i = 0; i < n; ++i) total = static_cast<uint8_t>(total + p[i]);
  return total;
}

}  // namespace acpi::bytes
