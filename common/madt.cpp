#include "common/madt.h"

namespace madt {

namespace {

constexpr uint32_t entries_offset = 44;  // the header, the local APIC address, the flags
constexpr uint8_t local_apic = 0, local_x2apic = 9;
constexpr uint32_t enabled_and_online_capable = 3;  // flags bits 0 and 1

uint32_t read32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

void clear_bits32(uint8_t* p, uint32_t bits) {
  const uint32_t value = read32(p) & ~bits;
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

// Walks the entries; where `apply`, marks the others disabled.
Result walk(uint8_t* table, uint32_t length, uint32_t keep, bool apply) {
  Result r{false, 0, 0};
  if (length < entries_offset) return r;
  uint32_t at = entries_offset;
  while (at < length) {
    if (length - at < 2) return r;
    const uint8_t type = table[at];
    const uint8_t bytes = table[at + 1];
    if (bytes < 2 || bytes > length - at) return r;
    uint32_t flags_at = 0, apic_id = 0;
    if (type == local_apic && bytes >= 8) {
      apic_id = table[at + 3];
      flags_at = at + 4;
    } else if (type == local_x2apic && bytes >= 16) {
      apic_id = read32(table + at + 4);
      flags_at = at + 8;
    }
    if (flags_at != 0) {
      ++r.processors;
      if (apic_id != keep && (read32(table + flags_at) & enabled_and_online_capable) != 0) {
        ++r.disabled;
        if (apply) clear_bits32(table + flags_at, enabled_and_online_capable);
      }
    }
    at += bytes;
  }
  r.ok = true;
  return r;
}

}  // namespace

Result keep_one_processor(uint8_t* table, uint32_t length, uint32_t keep) {
  const Result checked = walk(table, length, keep, false);
  if (!checked.ok || checked.disabled == 0) return checked;
  const Result done = walk(table, length, keep, true);
  // The checksum (byte 9): every byte of the table sums to 0.
  uint8_t sum = 0;
  for (uint32_t i = 0; i < length; ++i) sum = static_cast<uint8_t>(sum + table[i]);
  table[9] = static_cast<uint8_t>(table[9] - sum);
  return done;
}

}  // namespace madt
