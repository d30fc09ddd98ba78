// Fuzz target dmar: the DMAR parser (vmm/vtd/dmar.h) on any bytes as the
// table, then the remapping tables (vmm/vtd/tables.h) built around what it
// accepted, as the VMM builds them. What the parser accepts must be what
// the VMM relies on (units with page-aligned registers below 4 GiB, RMRRs
// of whole pages, the counts within their arrays); the tables, where they
// can be built, must leave every hole unreachable and map an address
// outside the holes to itself. abort() where not.
#include <stdlib.h>

#include <memory>

#include "common/phys_range.h"
#include "layout.h"
#include "tests/fuzz/fuzz_targets.h"
#include "vtd/dmar.h"
#include "vtd/tables.h"

namespace {

void require(bool promise) {
  if (!promise) abort();
}

constexpr uint64_t page = 4096;
constexpr uint64_t tables_at = 0x421000;  // inside the VMM's memory, as in the VMM

void check_tables(const vtd::Dmar& dmar) {
  PhysRange holes[1 + vtd::max_units];
  size_t count = 0;
  holes[count++] = {layout::VMM_ADDR, layout::VMM_MEMORY_END};
  for (uint32_t i = 0; i < dmar.unit_count; ++i) {
    const vtd::Drhd& u = dmar.units[i];
    holes[count++] = {u.register_base, u.register_base + uint64_t{u.register_pages} * page};
  }
  auto tables = std::make_unique<vtd::Tables>();
  const vtd::TableInputs inputs{3, true, 39, holes, count, nullptr, 0};
  if (!vtd::build_tables(*tables, tables_at, inputs).ok) return;  // too many split regions
  for (size_t h = 0; h < count; ++h) {
    for (uint64_t a : {holes[h].first, holes[h].end - 1}) {
      const vtd::Translation x = vtd::translate(*tables, tables_at, 0x0010, a);
      require(!x.read && !x.write);
    }
    // Next to a hole: mapped to itself unless another hole is there.
    for (uint64_t a : {holes[h].first - 1, holes[h].end}) {
      if (a >= vtd::mapped_limit) continue;
      bool in_a_hole = false;
      for (size_t k = 0; k < count; ++k) in_a_hole |= a >= holes[k].first && a < holes[k].end;
      const vtd::Translation x = vtd::translate(*tables, tables_at, 0xFFFF, a);
      require(in_a_hole ? !x.read && !x.write : x.read && x.write && x.address == a);
    }
  }
}

}  // namespace

int fuzz_dmar(const uint8_t* data, size_t size) {
  vtd::Dmar dmar;
  const uint32_t length = size > 0xFFFFFF ? 0xFFFFFF : static_cast<uint32_t>(size);
  if (vtd::parse_dmar(data, length, dmar) != nullptr) return 0;
  require(dmar.unit_count >= 1 && dmar.unit_count <= vtd::max_units);
  require(dmar.rmrr_count <= vtd::max_rmrrs);
  for (uint32_t i = 0; i < dmar.unit_count; ++i) {
    const vtd::Drhd& u = dmar.units[i];
    require(u.register_base != 0 && u.register_base % page == 0);
    require(u.register_pages >= 1 && u.register_pages <= 16);
    require(u.register_base + uint64_t{u.register_pages} * page <= vtd::mapped_limit);
  }
  for (uint32_t i = 0; i < dmar.rmrr_count; ++i) {
    const vtd::Rmrr& r = dmar.rmrrs[i];
    require(r.base % page == 0 && r.end % page == 0 && r.base < r.end);
  }
  check_tables(dmar);
  return 0;
}
