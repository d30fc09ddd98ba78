#include "vtd/dmar.h"

#include "common/acpi_bytes.h"

namespace vtd {
namespace {

using acpi::bytes::read16;
using acpi::bytes::read64;

constexpr uint32_t header_bytes = 36;
constexpr uint32_t first_structure = 48;  // after the width, the flags and 10 reserved bytes
constexpr uint32_t structure_header_bytes = 4;
constexpr uint16_t type_drhd = 0;
constexpr uint16_t type_rmrr = 1;
constexpr uint32_t drhd_scopes = 16;  // where a DRHD's device scopes begin
constexpr uint32_t rmrr_scopes = 24;
constexpr uint32_t scope_header_bytes = 6;
constexpr uint8_t drhd_include_pci_all = 1;
constexpr uint64_t page = 4096;
// A register set of 2^15 pages (128 MiB) is what the 4-bit field allows;
// none is near it, and the VMM keeps the guest out of all of it.
constexpr uint32_t max_register_pages_log2 = 4;

// The device scopes in [at, end) of a structure, each checked, counted by
// type into `by_type` (may be null).
const char* parse_scopes(const uint8_t* table, uint32_t at, uint32_t end, uint8_t* by_type,
                         uint8_t* count) {
  while (at < end) {
    if (end - at < scope_header_bytes) return "device scope truncated";
    const uint8_t type = table[at];
    const uint8_t length = table[at + 1];
    if (length < scope_header_bytes || (length - scope_header_bytes) % 2 != 0) {
      return "device scope length";
    }
    if (length > end - at) return "device scope beyond its structure";
    if (count != nullptr && *count < 255) ++*count;
    if (by_type != nullptr) {
      uint8_t& n = by_type[type < scope_types ? type : 0];
      if (n < 255) ++n;
    }
    at += length;
  }
  return nullptr;
}

const char* parse_drhd(const uint8_t* table, uint32_t at, uint32_t length, Dmar& out) {
  if (length < drhd_scopes) return "DRHD length";
  if (out.unit_count == max_units) return "more DRHDs than the VMM takes (8)";
  Drhd& unit = out.units[out.unit_count];
  unit = {};
  unit.include_pci_all = (table[at + 4] & drhd_include_pci_all) != 0;
  const uint8_t size = table[at + 5] & 0x0F;
  if (size > max_register_pages_log2) return "DRHD register set size";
  unit.register_pages = 1u << size;
  unit.segment = read16(table + at + 6);
  unit.register_base = read64(table + at + 8);
  if (unit.register_base == 0 || unit.register_base % page != 0) return "DRHD register base";
  if (unit.register_base >= (1ull << 32) ||
      uint64_t{unit.register_pages} * page > (1ull << 32) - unit.register_base) {
    return "DRHD registers above 4 GiB";
  }
  if (const char* error =
          parse_scopes(table, at + drhd_scopes, at + length, unit.scopes, nullptr)) {
    return error;
  }
  ++out.unit_count;
  return nullptr;
}

const char* parse_rmrr(const uint8_t* table, uint32_t at, uint32_t length, Dmar& out) {
  if (length < rmrr_scopes) return "RMRR length";
  if (out.rmrr_count == max_rmrrs) return "more RMRRs than the VMM takes (16)";
  Rmrr& region = out.rmrrs[out.rmrr_count];
  region = {};
  region.segment = read16(table + at + 6);
  region.base = read64(table + at + 8);
  const uint64_t limit = read64(table + at + 16);
  // The limit is the last byte: base and limit + 1 on 4 KiB boundaries.
  if (region.base % page != 0 || limit % page != page - 1 || limit < region.base ||
      limit == ~uint64_t{0}) {
    return "RMRR range";
  }
  region.end = limit + 1;
  if (const char* error =
          parse_scopes(table, at + rmrr_scopes, at + length, nullptr, &region.scope_count)) {
    return error;
  }
  ++out.rmrr_count;
  return nullptr;
}

}  // namespace

const char* parse_dmar(const uint8_t* table, uint32_t length, Dmar& out) {
  out = {};
  if (length < first_structure) return "DMAR length";
  out.host_address_width = static_cast<uint8_t>(table[header_bytes] + 1);
  out.flags = table[header_bytes + 1];
  for (uint32_t at = first_structure; at < length;) {
    if (length - at < structure_header_bytes) return "remapping structure truncated";
    const uint16_t type = read16(table + at);
    const uint16_t size = read16(table + at + 2);
    if (size < structure_header_bytes) return "remapping structure length";
    if (size > length - at) return "remapping structure beyond the table";
    const char* error = nullptr;
    if (type == type_drhd) {
      error = parse_drhd(table, at, size, out);
    } else if (type == type_rmrr) {
      error = parse_rmrr(table, at, size, out);
    } else {
      ++out.other_structures;
    }
    if (error != nullptr) return error;
    at += size;
  }
  if (out.unit_count == 0) return "no DRHD";
  return nullptr;
}

const char* scope_type_name(uint32_t type) {
  switch (type) {
    case scope_pci_endpoint: return "PCI endpoint";
    case scope_pci_subhierarchy: return "PCI sub-hierarchy";
    case scope_ioapic: return "I/O APIC";
    case scope_hpet: return "HPET";
    case scope_acpi_device: return "ACPI device";
    default: return "other";
  }
}

}  // namespace vtd
