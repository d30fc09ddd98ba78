// Fuzz target acpi: the VMM's and stage2's ACPI power-off search
// (common/acpi.h find_power_off, find_s5_in_aml) over physical memory the
// input describes: up to 8 regions {u32 base, u32 length, bytes}, little-
// endian, the last one cut to what the input holds. What it finds must be a
// usable power-off (an I/O port, 3-bit sleep types) or a named failure.
// abort() where not.
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "common/acpi.h"
#include "tests/fuzz/fuzz_targets.h"

namespace {

void require(bool promise) {
  if (!promise) abort();
}

uint32_t le32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

}  // namespace

int fuzz_acpi(const uint8_t* data, size_t size) {
  // Each region's bytes in a buffer of their own: a read past a region's
  // end is AddressSanitizer's to see.
  std::vector<std::vector<uint8_t>> buffers;
  std::vector<uint32_t> bases;
  size_t at = 0;
  while (buffers.size() < 8 && size - at >= 8) {
    const uint32_t base = le32(data + at), wanted = le32(data + at + 4);
    at += 8;
    const size_t length = wanted < size - at ? wanted : size - at;
    buffers.emplace_back(data + at, data + at + length);
    bases.push_back(base);
    at += length;
  }
  std::vector<acpi::Region> regions;
  for (size_t i = 0; i < buffers.size(); ++i) {
    // No region at physical 0 (the machine's view starts at the BDA, 0x400).
    if (buffers[i].empty() || bases[i] == 0) continue;
    regions.push_back({bases[i], buffers[i].size(), buffers[i].data()});
  }
  const acpi::MemoryView view{regions.data(), regions.size()};
  const acpi::PowerOff p = acpi::find_power_off(view);
  if (p.found) {
    require(p.error == nullptr && p.pm1a_cnt != 0);
    require(p.slp_typ_a <= 7 && p.slp_typ_b <= 7);
    require(p.s5_table != nullptr &&
            (strcmp(p.s5_table, "DSDT") == 0 || strcmp(p.s5_table, "SSDT") == 0));
  } else {
    require(p.error != nullptr && p.error[0] != '\0');
  }
  // The AML scan on its own, over the raw input.
  uint8_t a = 0xFF, b = 0xFF;
  bool malformed = false;
  if (acpi::find_s5_in_aml(data, size, &a, &b, &malformed)) require(a <= 7 && b <= 7);
  return 0;
}
