#include "common/mcfg.h"

namespace acpi {
namespace {

constexpr uint32_t entries_offset = 44;  // the 36-byte header, 8 reserved bytes
constexpr uint32_t entry_bytes = 16;
constexpr uint64_t bus_bytes = 1u << 20;

uint64_t read_le(const uint8_t* p, unsigned bytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < bytes; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

Mcfg parse_mcfg(const uint8_t* table, uint32_t length) {
  Mcfg m{};
  if (length < entries_offset || (length - entries_offset) % entry_bytes != 0) {
    m.error = "MCFG length";
    return m;
  }
  const uint32_t entries = (length - entries_offset) / entry_bytes;
  if (entries > mcfg_max_windows) {
    m.error = "MCFG lists more windows than the VMM keeps";
    return m;
  }
  for (uint32_t i = 0; i < entries; ++i) {
    const uint8_t* e = table + entries_offset + i * entry_bytes;
    const McfgWindow w{read_le(e, 8), static_cast<uint16_t>(read_le(e + 8, 2)), e[10], e[11]};
    if (w.first_bus > w.last_bus) {
      m.error = "MCFG window: last bus below the first";
    } else if (w.base % bus_bytes != 0) {
      m.error = "MCFG window: base not 1 MiB aligned";
    } else if (w.base > ~uint64_t{0} - (uint64_t{w.last_bus} + 1) * bus_bytes) {
      m.error = "MCFG window: ends past 64 bits";  // base + (last_bus + 1) MiB must not wrap
    }
    if (m.error != nullptr) {
      m.count = 0;
      return m;
    }
    m.windows[m.count++] = w;
  }
  return m;
}

Mcfg find_mcfg(const MemoryView& mem) {
  const TableSearch search = find_table(mem, "MCFG");
  if (!search.found) {
    Mcfg none{};
    none.error = search.error != nullptr ? search.error : "no MCFG";
    return none;
  }
  return parse_mcfg(search.table.bytes, search.table.length);
}

}  // namespace acpi
