#include "fake_vtd_unit.h"

#include <gtest/gtest.h>

#include "vtd/mmio.h"
#include "vtd/registers.h"

namespace fake_vtd_unit {

Unit unit;

namespace {

namespace reg = vtd::reg;

uint32_t iotlb_offset() {
  return static_cast<uint32_t>((unit.ecap >> reg::ecap_iro_shift) & 0x3FF) * 16 +
         reg::iotlb_from_iva;
}
uint32_t faults_offset() {
  return static_cast<uint32_t>((unit.cap >> reg::cap_fro_shift) & 0x3FF) * 16;
}

// The fault record and its 32-bit part an offset falls in, or false.
bool fault_part(uint32_t offset, size_t* record, uint32_t* part) {
  if (offset < faults_offset()) return false;
  const uint32_t at = offset - faults_offset();
  if (at / 16 >= unit.fault_high.size()) return false;
  *record = at / 16;
  *part = at % 16;
  return true;
}

uint64_t read(uint64_t address, unsigned bytes) {
  ++unit.reads;
  EXPECT_GE(address, base);
  const uint32_t offset = static_cast<uint32_t>(address - base);
  uint64_t value = 0;
  size_t record;
  uint32_t part;
  if (offset == reg::version) {
    value = unit.version;
  } else if (offset == reg::capability) {
    value = unit.cap;
  } else if (offset == reg::extended_capability) {
    value = unit.ecap;
  } else if (offset == reg::global_status) {
    value = unit.gsts;
  } else if (offset == reg::root_table_address) {
    value = unit.rtaddr;
  } else if (offset == reg::context_command) {
    value = unit.ccmd;
  } else if (offset == iotlb_offset()) {
    value = unit.iotlb;
  } else if (offset == reg::fault_status) {
    value = unit.fsts;
  } else if (offset == reg::fault_event_control) {
    value = unit.fectl;
  } else if (offset == reg::protected_memory_enable) {
    value = unit.pmen;
  } else if (fault_part(offset, &record, &part)) {
    const uint64_t half = part < 8 ? unit.fault_low[record] : unit.fault_high[record];
    value = part % 8 == 0 ? half : half >> 32;
  } else {
    ADD_FAILURE() << "read of unknown register 0x" << std::hex << offset;
  }
  return bytes == 4 ? value & 0xFFFFFFFF : value;
}

void global_command(uint32_t value) {
  const uint32_t persistent = reg::translation_enable | reg::queued_invalidation |
                              reg::interrupt_remapping;
  uint32_t gsts = unit.gsts & ~persistent;
  if (unit.enables_translation || (value & reg::translation_enable) == 0) {
    gsts |= value & reg::translation_enable;
  } else {
    gsts |= unit.gsts & reg::translation_enable;
  }
  gsts |= value & (reg::queued_invalidation | reg::interrupt_remapping);
  if ((value & reg::root_table_pointer) != 0 && unit.sets_root_pointer) {
    gsts |= reg::root_table_pointer;
  }
  if ((value & reg::write_buffer_flush) != 0) {
    if (unit.flushes_write_buffer) {
      gsts &= ~reg::write_buffer_flush;
    } else {
      gsts |= reg::write_buffer_flush;
    }
  }
  unit.gsts = gsts;
}

void write(uint64_t address, unsigned bytes, uint64_t value) {
  EXPECT_GE(address, base);
  const uint32_t offset = static_cast<uint32_t>(address - base);
  unit.writes.push_back({offset, bytes, value});
  size_t record;
  uint32_t part;
  if (offset == reg::global_command) {
    global_command(static_cast<uint32_t>(value));
  } else if (offset == reg::root_table_address) {
    unit.rtaddr = value;
  } else if (offset == reg::context_command) {
    unit.ccmd = value;
    if ((value & reg::ccmd_icc) != 0 && unit.invalidates_context) {
      unit.ccmd = (value & ~reg::ccmd_icc) | uint64_t{unit.context_granularity}
                                                 << reg::ccmd_caig_shift;
    }
  } else if (offset == iotlb_offset()) {
    unit.iotlb = value;
    if ((value & reg::iotlb_ivt) != 0 && unit.invalidates_iotlb) {
      unit.iotlb = (value & ~reg::iotlb_ivt) | uint64_t{unit.iotlb_granularity}
                                                   << reg::iotlb_iaig_shift;
    }
  } else if (offset == reg::fault_status) {
    unit.fsts &= ~(static_cast<uint32_t>(value) & reg::fsts_overflow);
  } else if (offset == reg::fault_event_control) {
    unit.fectl = static_cast<uint32_t>(value);
  } else if (offset == reg::protected_memory_enable) {
    const bool enable = (value & reg::pmen_enable) != 0;
    unit.pmen = enable || !unit.disables_pmr ? reg::pmen_enable | reg::pmen_status : 0;
  } else if (fault_part(offset, &record, &part) && part == 12 && bytes == 4) {
    if ((value & 0x80000000u) != 0) unit.fault_high[record] &= ~reg::fault_f;
  } else {
    ADD_FAILURE() << "write of unknown register 0x" << std::hex << offset;
  }
}

}  // namespace

void reset(uint64_t cap, uint64_t ecap) {
  unit = Unit{};
  unit.cap = cap;
  unit.ecap = ecap;
  const size_t records = ((cap >> reg::cap_nfr_shift) & 0xFF) + 1;
  unit.fault_low.assign(records, 0);
  unit.fault_high.assign(records, 0);
}

void record_fault(uint32_t index, uint64_t address, uint8_t reason, bool read, uint16_t source) {
  unit.fault_low.at(index) = address;
  unit.fault_high.at(index) = reg::fault_f | (read ? reg::fault_read : 0) |
                              uint64_t{reason} << reg::fault_reason_shift | source;
  unit.fsts |= reg::fsts_pending;
}

std::vector<uint32_t> written_offsets() {
  std::vector<uint32_t> offsets;
  for (const Write& w : unit.writes) offsets.push_back(w.offset);
  return offsets;
}

}  // namespace fake_vtd_unit

namespace vtd::mmio {

uint32_t read32(uint64_t address) { return static_cast<uint32_t>(fake_vtd_unit::read(address, 4)); }
uint64_t read64(uint64_t address) { return fake_vtd_unit::read(address, 8); }
void write32(uint64_t address, uint32_t value) { fake_vtd_unit::write(address, 4, value); }
void write64(uint64_t address, uint64_t value) { fake_vtd_unit::write(address, 8, value); }

}  // namespace vtd::mmio
