#include "common/acpi_hide.h"

#include "common/acpi_bytes.h"

namespace acpi {
namespace {

constexpr uint32_t header_bytes = 36;
constexpr uint32_t length_offset = 4;
constexpr uint32_t checksum_offset = 9;
// As the walker's bound (common/acpi.cpp): no root table comes near it.
constexpr uint32_t max_root_bytes = 1u << 20;

struct Edit {
  uint32_t removed;
  const char* error;
};

// The errors per root table, static.
struct Names {
  const char* unreadable;
  const char* signature;
  const char* length;
};
constexpr Names rsdt_names{"RSDT unreadable", "RSDT signature", "RSDT length"};
constexpr Names xsdt_names{"XSDT unreadable", "XSDT signature", "XSDT length"};

// Whether the entry's table starts with `signature` (read through the view:
// an entry whose table cannot be read is not taken out).
bool points_at(const WritableMemoryView& mem, uint64_t phys, const char* signature) {
  if (phys == 0) return false;
  const uint8_t* table = mem.view.at(phys, 4);
  return table != nullptr && bytes::same_bytes(table, signature, 4);
}

Edit remove_entries(const WritableMemoryView& mem, uint64_t phys, const char* root_signature,
                    uint32_t entry_bytes, const Names& names, const char* signature) {
  uint8_t* header = mem.at(phys, header_bytes);
  if (phys == 0 || header == nullptr) return {0, names.unreadable};
  if (!bytes::same_bytes(header, root_signature, 4)) return {0, names.signature};
  const uint32_t length = bytes::read32(header + length_offset);
  if (length < header_bytes || length > max_root_bytes ||
      (length - header_bytes) % entry_bytes != 0) {
    return {0, names.length};
  }
  uint8_t* table = mem.at(phys, length);
  if (table == nullptr) return {0, names.unreadable};

  const uint8_t sum_before = bytes::sum(table, length);
  const uint32_t count = (length - header_bytes) / entry_bytes;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* entry = table + header_bytes + i * entry_bytes;
    const uint64_t target = entry_bytes == 8 ? bytes::read64(entry) : bytes::read32(entry);
    if (points_at(mem, target, signature)) continue;
    uint8_t* to = table + header_bytes + kept * entry_bytes;
    for (uint32_t b = 0; b < entry_bytes; ++b) to[b] = entry[b];
    ++kept;
  }
  if (kept == count) return {0, nullptr};
  const uint32_t new_length = header_bytes + kept * entry_bytes;
  for (uint32_t b = new_length; b < length; ++b) table[b] = 0;
  bytes::write32(table + length_offset, new_length);
  table[checksum_offset] = 0;
  table[checksum_offset] = static_cast<uint8_t>(sum_before - bytes::sum(table, new_length));
  return {count - kept, nullptr};
}

}  // namespace

HideResult hide_tables(const WritableMemoryView& mem, const char* signature) {
  RootPointers roots;
  if (const char* error = find_root_pointers(mem.view, &roots)) return {0, 0, error};
  const Edit rsdt = roots.rsdt != 0
                        ? remove_entries(mem, roots.rsdt, "RSDT", 4, rsdt_names, signature)
                        : Edit{0, nullptr};
  const Edit xsdt = roots.xsdt != 0
                        ? remove_entries(mem, roots.xsdt, "XSDT", 8, xsdt_names, signature)
                        : Edit{0, nullptr};
  return {rsdt.removed, xsdt.removed, rsdt.error != nullptr ? rsdt.error : xsdt.error};
}

}  // namespace acpi
