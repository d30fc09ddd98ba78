#include "common/madt.h"

namespace madt {

namespace {

constexpr uint32_t entries_offset = 44;  // the header, the local APIC address, the flags
constexpr uint8_t local_apic = 0, io_apic = 1, local_x2apic = 9;

uint32_t read32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

void write32(uint8_t* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

// Whether the entry at `at` (`bytes` long) is a processor's, and its APIC ID.
bool processor(const uint8_t* entry, uint8_t bytes, uint32_t& apic_id) {
  if (entry[0] == local_apic && bytes >= 8) {
    apic_id = entry[3];
    return true;
  }
  if (entry[0] == local_x2apic && bytes >= 16) {
    apic_id = read32(entry + 4);
    return true;
  }
  return false;
}

// Walks the entries; where `apply`, moves every one kept over the ones
// taken out. Returns the counts and, in `kept_end`, where the kept ones end.
Result walk(uint8_t* table, uint32_t length, uint32_t keep, bool apply, uint32_t& kept_end) {
  Result r{false, 0, 0};
  if (length < entries_offset) return r;
  uint32_t at = entries_offset, to = entries_offset;
  while (at < length) {
    if (length - at < 2) return r;
    const uint8_t bytes = table[at + 1];
    if (bytes < 2 || bytes > length - at) return r;
    uint32_t apic_id = 0;
    const bool is_processor = processor(table + at, bytes, apic_id);
    r.processors += is_processor;
    if (is_processor && apic_id != keep) {
      ++r.removed;
    } else {
      if (apply && to != at) {
        for (uint32_t i = 0; i < bytes; ++i) table[to + i] = table[at + i];
      }
      to += bytes;
    }
    at += bytes;
  }
  kept_end = to;
  r.ok = true;
  return r;
}

}  // namespace

Result keep_one_processor(uint8_t* table, uint32_t length, uint32_t keep) {
  uint32_t kept_end = 0;
  const Result checked = walk(table, length, keep, false, kept_end);
  if (!checked.ok || checked.removed == 0) return checked;
  const Result done = walk(table, length, keep, true, kept_end);
  for (uint32_t i = kept_end; i < length; ++i) table[i] = 0;
  write32(table + 4, kept_end);
  // The checksum (byte 9): every byte of the table sums to 0.
  uint8_t sum = 0;
  for (uint32_t i = 0; i < kept_end; ++i) sum = static_cast<uint8_t>(sum + table[i]);
  table[9] = static_cast<uint8_t>(table[9] - sum);
  return done;
}

IoApics io_apics(const uint8_t* table, uint32_t length) {
  IoApics r{};
  if (length < entries_offset) return r;
  for (uint32_t at = entries_offset; at < length;) {
    if (length - at < 2) return r;
    const uint8_t bytes = table[at + 1];
    if (bytes < 2 || bytes > length - at) return r;
    if (table[at] == io_apic && bytes >= 12) {
      if (r.count < max_io_apics) {
        r.entries[r.count] = {table[at + 2], read32(table + at + 4), read32(table + at + 8)};
      }
      ++r.count;
    }
    at += bytes;
  }
  r.ok = true;
  return r;
}

}  // namespace madt
