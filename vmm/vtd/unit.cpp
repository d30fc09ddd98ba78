#include "vtd/unit.h"

#include "vtd/mmio.h"
#include "vtd/registers.h"
#include "vtd/tables.h"

namespace vtd {
namespace {

constexpr uint64_t page = 4096;

uint64_t round_to_page(uint64_t bytes) { return (bytes + page - 1) / page * page; }

// Reads the 32-bit register at `offset` until (value & mask) == want, at
// most poll_limit times; the last value read goes to *last.
bool wait32(uint64_t base, uint32_t offset, uint32_t mask, uint32_t want, uint32_t* last) {
  for (uint32_t i = 0; i < poll_limit; ++i) {
    *last = mmio::read32(base + offset);
    if ((*last & mask) == want) return true;
  }
  return false;
}

// Likewise for a 64-bit command register whose bit 63 clears when done;
// then the granularity done (2 bits at `done_shift`) must not be 0.
bool wait_invalidation(uint64_t base, uint32_t offset, uint32_t done_shift) {
  for (uint32_t i = 0; i < poll_limit; ++i) {
    const uint64_t value = mmio::read64(base + offset);
    if ((value >> 63) == 0) return ((value >> done_shift) & 3) != 0;
  }
  return false;
}

// A global command: the persistent settings as they are, and `command`.
bool global_command(uint64_t base, uint32_t command, uint32_t want, uint32_t* status) {
  const uint32_t now = mmio::read32(base + reg::global_status) & reg::persistent_status;
  mmio::write32(base + reg::global_command, now | command);
  return wait32(base, reg::global_status, command, want, status);
}

uint32_t clear_old_faults(uint64_t base, const UnitCaps& caps) {
  uint32_t cleared = 0;
  for (uint32_t i = 0; i < caps.fault_records; ++i) cleared += take_fault(base, caps, i).recorded;
  mmio::write32(base + reg::fault_status, reg::fsts_overflow);
  return cleared;
}

}  // namespace

UnitCaps decode_caps(uint32_t version, uint64_t cap, uint64_t ecap) {
  UnitCaps c{};
  c.version = version & 0xFF;
  c.cap = cap;
  c.ecap = ecap;
  const uint32_t sagaw = static_cast<uint32_t>(cap >> reg::cap_sagaw_shift) & 0x1F;
  for (uint32_t levels = 3; levels <= 5; ++levels) {
    if ((sagaw >> (levels - 2)) & 1) c.walks |= 1u << levels;
  }
  c.address_width = static_cast<uint32_t>((cap >> reg::cap_mgaw_shift) & 0x3F) + 1;
  c.pages_2m = (cap & reg::cap_sllps_2m) != 0;
  c.pages_1g = (cap & reg::cap_sllps_1g) != 0;
  c.write_buffer_flush = (cap & reg::cap_rwbf) != 0;
  c.caching_mode = (cap & reg::cap_cm) != 0;
  c.coherent = (ecap & reg::ecap_coherent) != 0;
  c.drain_reads = (cap & reg::cap_drd) != 0;
  c.drain_writes = (cap & reg::cap_dwd) != 0;
  c.protected_regions = (cap & (reg::cap_plmr | reg::cap_phmr)) != 0;
  c.iotlb = static_cast<uint32_t>((ecap >> reg::ecap_iro_shift) & 0x3FF) * 16 + reg::iotlb_from_iva;
  c.fault_records_at = static_cast<uint32_t>((cap >> reg::cap_fro_shift) & 0x3FF) * 16;
  c.fault_records = static_cast<uint32_t>((cap >> reg::cap_nfr_shift) & 0xFF) + 1;
  return c;
}

UnitCaps read_caps(uint64_t base) {
  return decode_caps(mmio::read32(base + reg::version), mmio::read64(base + reg::capability),
                     mmio::read64(base + reg::extended_capability));
}

uint64_t register_window(const UnitCaps& caps, uint32_t drhd_pages) {
  uint64_t end = uint64_t{drhd_pages} * page;
  const uint64_t iotlb_end = uint64_t{caps.iotlb} + 8;
  const uint64_t faults_end =
      uint64_t{caps.fault_records_at} + uint64_t{caps.fault_records} * reg::fault_record_bytes;
  if (iotlb_end > end) end = iotlb_end;
  if (faults_end > end) end = faults_end;
  return round_to_page(end);
}

uint32_t common_levels(const UnitCaps* units, size_t count, uint64_t ram_end) {
  uint32_t walks = ~0u;
  for (size_t i = 0; i < count; ++i) walks &= units[i].walks;
  uint32_t most = 0;
  for (uint32_t levels = 3; levels <= 5; ++levels) {
    if (((walks >> levels) & 1) == 0) continue;
    if (ram_end <= 1ull << walk_width(levels)) return levels;
    most = levels;
  }
  return most;
}

uint32_t common_address_width(const UnitCaps* units, size_t count) {
  uint32_t width = 64;
  for (size_t i = 0; i < count; ++i) {
    if (units[i].address_width < width) width = units[i].address_width;
  }
  return width;
}

bool common_pages_1g(const UnitCaps* units, size_t count) {
  bool all = count > 0;
  for (size_t i = 0; i < count; ++i) all = all && units[i].pages_1g;
  return all;
}

const char* step_name(Step step) {
  switch (step) {
    case Step::none: return "none";
    case Step::registers: return "registers";
    case Step::state: return "firmware-state";
    case Step::large_pages: return "large-pages";
    case Step::root_pointer: return "root-pointer";
    case Step::write_buffer: return "write-buffer";
    case Step::context_cache: return "context-cache";
    case Step::iotlb: return "iotlb";
    case Step::translation: return "translation";
    case Step::protected_memory: return "protected-memory";
  }
  return "?";
}

Step check_unit(uint64_t base, const UnitCaps& caps, uint64_t window, uint32_t gsts) {
  if (base >= (1ull << 32) || window > (1ull << 32) - base) return Step::registers;
  if ((gsts & (reg::queued_invalidation | reg::interrupt_remapping)) != 0) return Step::state;
  if (!caps.pages_2m) return Step::large_pages;
  return Step::none;
}

Outcome enable_translation(uint64_t base, const UnitCaps& caps, uint64_t root_table) {
  Outcome out{Step::none, 0, 0, false};
  out.was_enabled = (mmio::read32(base + reg::global_status) & reg::translation_enable) != 0;
  // The VMM takes no interrupts: a fault is only recorded, for the report.
  mmio::write32(base + reg::fault_event_control, reg::fectl_mask);
  out.faults_cleared = clear_old_faults(base, caps);

  mmio::write64(base + reg::root_table_address, root_table);  // TTM 00: legacy mode
  if (!global_command(base, reg::root_table_pointer, reg::root_table_pointer, &out.status)) {
    out.failed = Step::root_pointer;
    return out;
  }
  if (caps.write_buffer_flush &&
      !global_command(base, reg::write_buffer_flush, 0, &out.status)) {
    out.failed = Step::write_buffer;
    return out;
  }
  mmio::write64(base + reg::context_command, reg::ccmd_icc | reg::ccmd_global);
  if (!wait_invalidation(base, reg::context_command, reg::ccmd_caig_shift)) {
    out.failed = Step::context_cache;
    return out;
  }
  const uint64_t drain = (caps.drain_reads ? reg::iotlb_drain_reads : 0) |
                         (caps.drain_writes ? reg::iotlb_drain_writes : 0);
  mmio::write64(base + caps.iotlb, reg::iotlb_ivt | reg::iotlb_global | drain);
  if (!wait_invalidation(base, caps.iotlb, reg::iotlb_iaig_shift)) {
    out.failed = Step::iotlb;
    return out;
  }
  if (!global_command(base, reg::translation_enable, reg::translation_enable, &out.status)) {
    out.failed = Step::translation;
    return out;
  }
  // Protected memory regions block DMA on their own, translation or not:
  // the firmware's would block the guest's devices where the tables map.
  if (caps.protected_regions &&
      (mmio::read32(base + reg::protected_memory_enable) & reg::pmen_status) != 0) {
    mmio::write32(base + reg::protected_memory_enable, 0);
    uint32_t pmen;
    if (!wait32(base, reg::protected_memory_enable, reg::pmen_status, 0, &pmen)) {
      out.failed = Step::protected_memory;
    }
  }
  return out;
}

Fault take_fault(uint64_t base, const UnitCaps& caps, uint32_t index) {
  // As four dwords: every unit takes 32-bit accesses to these.
  const uint64_t at = base + caps.fault_records_at + uint64_t{index} * reg::fault_record_bytes;
  const uint64_t high = mmio::read32(at + 8) | uint64_t{mmio::read32(at + 12)} << 32;
  if ((high & reg::fault_f) == 0) return {false, false, 0, 0, 0};
  const uint64_t low = mmio::read32(at) | uint64_t{mmio::read32(at + 4)} << 32;
  mmio::write32(at + 12, static_cast<uint32_t>(reg::fault_f >> 32));  // F is write-1-to-clear
  return {true, (high & reg::fault_read) != 0,
          static_cast<uint8_t>(high >> reg::fault_reason_shift),
          static_cast<uint16_t>(high & 0xFFFF), low & ~(page - 1)};
}

const char* fault_reason_name(uint8_t reason) {
  switch (reason) {
    case 0x1: return "root entry not present";
    case 0x2: return "context entry not present";
    case 0x3: return "context entry invalid";
    case 0x4: return "address beyond the address width";
    case 0x5: return "write to a page without write access";
    case 0x6: return "read of a page without read access";
    case 0x7: return "page-table entry unreadable";
    case 0x8: return "root table unreadable";
    case 0x9: return "context table unreadable";
    case 0xA: return "root entry reserved bits";
    case 0xB: return "context entry reserved bits";
    case 0xC: return "page-table entry reserved bits";
    case 0xD: return "translation type blocked";
    default: return "other";
  }
}

}  // namespace vtd
