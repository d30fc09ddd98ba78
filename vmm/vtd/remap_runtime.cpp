// DMA remapping in the VMM (vtd/remap.h): the DMAR found and parsed, each
// unit read and checked, the RAM above 4 GiB found in the E820 map, the
// tables built, each unit's translation turned on, the DMAR hidden; every
// step reported on the console.
#include "vtd/remap.h"

#include "common/acpi.h"
#include "common/acpi_hide.h"
#include "common/console.h"
#include "common/end_run.h"
#include "ia32/instructions.h"
#include "layout.h"
#include "vtd/mmio.h"
#include "vtd/registers.h"

namespace vtd {
namespace {

uint64_t physical_address(const void* p) { return reinterpret_cast<uint64_t>(p); }

void print_unit(uint32_t i, const Drhd& unit, const UnitCaps& c, uint64_t window) {
  console::printf("vtd: unit %u at 0x%lx (%lu KiB of registers), VT-d %u.%u, segment %u: %s",
                  i, unit.register_base, window >> 10, c.version >> 4, c.version & 0xF,
                  unit.segment, unit.include_pci_all ? "every PCI device" : "its scope");
  // The known scope types first, then the others (counted at index 0).
  for (uint32_t n = 1; n <= scope_types; ++n) {
    const uint32_t type = n % scope_types;
    if (unit.scopes[type] != 0) console::printf(", %u %s", unit.scopes[type], scope_type_name(type));
  }
  console::printf("\n");
  console::printf("vtd:   CAP 0x%lx ECAP 0x%lx: walks%s%s%s, 2 MiB pages %s, 1 GiB pages %s,"
                  " address width %u, caching mode %s, %s, write-buffer flush %s\n",
                  c.cap, c.ecap, (c.walks & 8) ? " 3" : "", (c.walks & 16) ? " 4" : "",
                  (c.walks & 32) ? " 5" : "", c.pages_2m ? "yes" : "no",
                  c.pages_1g ? "yes" : "no", c.address_width,
                  c.caching_mode ? "on" : "off", c.coherent ? "coherent" : "not coherent",
                  c.write_buffer_flush ? "needed" : "not needed");
}

[[noreturn]] void unit_failed(uint32_t i, Step step, uint32_t gsts) {
  console::printf("vtd: unit %u cannot be used (%s); the VMM does not run a guest that its"
                  " devices could reach\n", i, step_name(step));
  end_run("dma-remap-failed", "unit=%u step=%s gsts=0x%x", i, step_name(step), gsts);
}

// Whether [first, end) meets a hole.
bool meets_hole(const State& s, uint64_t first, uint64_t end) {
  for (uint32_t h = 0; h < s.hole_count; ++h) {
    if (first < s.holes[h].end && end > s.holes[h].first) return true;
  }
  return false;
}

// Whether all of [first, end), at or above 4 GiB, is RAM the tables map.
bool high_ram_mapped(const State& s, uint64_t first, uint64_t end) {
  if (end > s.built.high_reach) return false;
  for (uint32_t i = 0; i < s.high_ram.count; ++i) {
    const PhysRange& r = s.high_ram.ranges[i];
    if (first >= r.first && end <= r.end) return true;
  }
  return false;
}

// An RMRR is memory a device uses behind the OS's back: mapped by the
// identity map unless it lies where devices are kept out, or above 4 GiB
// outside the RAM the tables map (the E820 map reports an RMRR reserved).
void print_rmrrs(const State& s) {
  for (uint32_t r = 0; r < s.dmar.rmrr_count; ++r) {
    const Rmrr& m = s.dmar.rmrrs[r];
    const uint64_t high = m.base > mapped_limit ? m.base : mapped_limit;
    const char* how = meets_hole(s, m.base, m.end) ? "meets what the VMM keeps: blocked there"
                      : m.end <= mapped_limit || high_ram_mapped(s, high, m.end)
                          ? "mapped"
                          : "above 4 GiB where no RAM is mapped: its DMA faults there";
    console::printf("vtd: RMRR 0x%lx-0x%lx (%u devices): %s\n", m.base, m.end - 1,
                    m.scope_count, how);
  }
}

void print_high_ram(const HighRam& ram) {
  if (ram.count == 0) {
    console::printf("vtd: no RAM above 4 GiB in the E820 map\n");
    return;
  }
  console::printf("vtd: RAM above 4 GiB in the E820 map (usable, ACPI, NVS): %lu MiB in %u"
                  " range(s), 0x%lx-0x%lx\n", high_ram_bytes(ram) >> 20, ram.count,
                  ram.ranges[0].first, ram.ranges[ram.count - 1].end - 1);
}

// How far above 4 GiB devices reach RAM: all of it, or up to where the
// tables stop, and why.
void print_high_reach(const State& s) {
  const HighRam& ram = s.high_ram;
  if (ram.count == 0) return;
  const BuiltTables& b = s.built;
  const char* pages = s.pages_1g ? "1 GiB" : "2 MiB";
  if (b.shortfall == Shortfall::none) {
    console::printf("vtd: devices reach the RAM above 4 GiB, all of it, to 0x%lx (%s pages, %u of"
                    " %u spare tables)\n", b.high_reach - 1, pages, b.pool_used, pool_tables);
    return;
  }
  if (b.high_reach > mapped_limit) {
    console::printf("vtd: devices reach the RAM above 4 GiB only up to 0x%lx (%s pages)\n",
                    b.high_reach - 1, pages);
  } else {
    console::printf("vtd: devices reach no RAM above 4 GiB\n");
  }
  if (b.shortfall == Shortfall::pool) {
    console::printf("vtd: the RAM in 0x%lx-0x%lx is not mapped: the tables' pool (%u tables) ran"
                    " out; a device's DMA there faults\n", b.high_reach,
                    ram.ranges[ram.count - 1].end - 1, pool_tables);
  } else {
    console::printf("vtd: the RAM in 0x%lx-0x%lx is not mapped: it lies past the units' %u-bit"
                    " address width; a device's DMA there faults\n", b.high_reach,
                    ram.ranges[ram.count - 1].end - 1,
                    s.address_width < walk_width(s.levels) ? s.address_width
                                                           : walk_width(s.levels));
  }
}

void write_back_tables(const State& s) {
  const auto* bytes = reinterpret_cast<const volatile uint8_t*>(&s.tables);
  for (size_t i = 0; i < sizeof(Tables); i += 64) clflush(bytes + i);
  mfence();
}

void hide_dmar(const acpi::IdentityMemory& memory) {
  const acpi::HideResult hidden = acpi::hide_tables({memory.view()}, "DMAR");
  const bool gone = !acpi::find_table(memory.view(), "DMAR").found;
  console::printf("vtd: DMAR hidden from the guest: %u entry taken out of the RSDT, %u of the"
                  " XSDT%s%s%s\n", hidden.rsdt_removed, hidden.xsdt_removed,
                  hidden.error != nullptr ? "; " : "", hidden.error != nullptr ? hidden.error : "",
                  gone ? "" : "; A SEARCH STILL FINDS IT: the guest's OS may program the"
                              " units");
}

}  // namespace

void protect_vmm_memory(State& s, const layout::BootInfo& boot_info) {
  const acpi::IdentityMemory memory = acpi::identity_mapped_memory();
  const acpi::TableSearch found = acpi::find_table(memory.view(), "DMAR");
  if (!found.found) {
    console::printf("vtd: no DMAR%s%s: no DMA remapping, bus masters can reach the VMM's"
                    " memory\n", found.error != nullptr ? ": " : " in the ACPI tables",
                    found.error != nullptr ? found.error : "");
    return;
  }
  if (const char* error = parse_dmar(found.table.bytes, found.table.length, s.dmar)) {
    console::printf("vtd: DMAR at 0x%lx: %s\n", found.table.phys, error);
    end_run("dma-remap-failed", "step=dmar");
  }
  console::printf("vtd: DMAR at 0x%lx: host address width %u, %u remapping unit(s), %u RMRR(s)\n",
                  found.table.phys, s.dmar.host_address_width, s.dmar.unit_count,
                  s.dmar.rmrr_count);

  s.holes[0] = {layout::VMM_ADDR, layout::VMM_MEMORY_END};
  s.hole_count = 1;
  bool include_pci_all = false;
  for (uint32_t i = 0; i < s.dmar.unit_count; ++i) {
    const Drhd& unit = s.dmar.units[i];
    s.caps[i] = read_caps(unit.register_base);
    s.windows[i] = register_window(s.caps[i], unit.register_pages);
    print_unit(i, unit, s.caps[i], s.windows[i]);
    const uint32_t gsts = mmio::read32(unit.register_base + reg::global_status);
    if (const Step step = check_unit(unit.register_base, s.caps[i], s.windows[i], gsts);
        step != Step::none) {
      unit_failed(i, step, gsts);
    }
    s.holes[s.hole_count++] = {unit.register_base, unit.register_base + s.windows[i]};
    include_pci_all = include_pci_all || unit.include_pci_all;
  }
  find_high_ram(boot_info.e820, boot_info.e820_count, s.high_ram);
  print_high_ram(s.high_ram);
  const uint64_t ram_end = s.high_ram.count > 0 ? s.high_ram.ranges[s.high_ram.count - 1].end : 0;
  s.levels = common_levels(s.caps, s.dmar.unit_count, ram_end);
  s.address_width = common_address_width(s.caps, s.dmar.unit_count);
  s.pages_1g = common_pages_1g(s.caps, s.dmar.unit_count);
  if (s.levels == 0) {
    console::printf("vtd: the units walk no number of levels (3, 4, 5) in common; the VMM's"
                    " tables serve them all\n");
    end_run("dma-remap-failed", "step=levels");
  }
  if (!include_pci_all) {
    console::printf("vtd: no unit covers every PCI device: one outside the units' scopes is"
                    " not remapped\n");
  }

  const TableInputs inputs{s.levels,      s.pages_1g,         s.address_width,
                           s.holes,       s.hole_count,       s.high_ram.ranges,
                           s.high_ram.count};
  s.built = build_tables(s.tables, physical_address(&s.tables), inputs);
  if (!s.built.ok) {
    console::printf("vtd: the units' registers lie in more 2 MiB regions than the tables"
                    " split\n");
    end_run("dma-remap-failed", "step=tables");
  }
  print_rmrrs(s);
  bool coherent = true;
  for (uint32_t i = 0; i < s.dmar.unit_count; ++i) coherent = coherent && s.caps[i].coherent;
  if (!coherent) write_back_tables(s);

  for (uint32_t i = 0; i < s.dmar.unit_count; ++i) {
    const Outcome out = enable_translation(s.dmar.units[i].register_base, s.caps[i],
                                           physical_address(s.tables.root));
    if (out.failed != Step::none) unit_failed(i, out.failed, out.status);
    console::printf("vtd: unit %u: translation on (%u-level walk, domain %u; %u old fault"
                    " record(s) cleared%s)\n", i, s.levels, domain_id, out.faults_cleared,
                    out.was_enabled ? "; the firmware had it on" : "");
  }
  s.active = true;
  console::printf("vtd: devices reach 0-4 GiB but the VMM's 0x%x-0x%x and the units'"
                  " registers\n", layout::VMM_ADDR, layout::VMM_MEMORY_END - 1);
  print_high_reach(s);
  hide_dmar(memory);
}

}  // namespace vtd
