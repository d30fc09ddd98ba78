#include "devices/bus_master.h"

#include "devices/guest_physical.h"
#include "devices/port_io.h"

namespace devices {

namespace {

constexpr uint16_t pci_address_port = 0xCF8, pci_data_port = 0xCFC;
constexpr uint8_t reg_command = 0, reg_status = 2, reg_prd = 4;

uint32_t pci_read(uint32_t function, uint8_t offset) {
  port_out(pci_address_port, 4, 0x80000000u | function << 8 | (offset & 0xFCu));
  return port_in(pci_data_port, 4);
}

uint16_t port_of(const BusMaster& s, unsigned channel, uint8_t reg) {
  return static_cast<uint16_t>(s.base + 8 * channel + reg);
}

// The guest sets the start bit: its table copied, checked, and the
// controller started from the copy; or refused, the engine left stopped.
void start(BusMaster& s, unsigned n, uint8_t command) {
  BusMasterChannel& c = s.channel[n];
  const PrdCheck check = copy_prd_table(*s.ram, s.vmm_first, s.vmm_end, c.prd_address, s.tables[n]);
  if (check.problem != PrdProblem::none) {
    ++c.refused;
    c.last_refusal = check;
    c.status_kept |= bm_status_error | bm_status_interrupt;
    c.engine_started = false;
    port_out(port_of(s, n, reg_command), 1, command & bm_command_device_writes);
    return;
  }
  port_out(port_of(s, n, reg_prd), 4, static_cast<uint32_t>(vmm_physical_address(s.tables[n])));
  port_out(port_of(s, n, reg_command), 1, command & (bm_command_start | bm_command_device_writes));
  c.engine_started = true;
  ++c.started;
}

// A command byte: the start bit the controller gets is the VMM's (set only
// from a checked copy), the direction the guest's.
void write_command(BusMaster& s, unsigned n, uint8_t value) {
  BusMasterChannel& c = s.channel[n];
  const bool was = (c.command & bm_command_start) != 0;
  const bool now = (value & bm_command_start) != 0;
  c.command = value & (bm_command_start | bm_command_device_writes);
  if (now && !was) return start(s, n, value);
  if (!now) c.engine_started = false;
  // Set and set again: the controller starts nothing new (its start is the
  // bit's rise), a running engine keeps running.
  const uint8_t running = c.engine_started ? bm_command_start : 0;
  port_out(port_of(s, n, reg_command), 1, (value & bm_command_device_writes) | running);
}

PortVerdict access(void* state, PortAccess& a, vmx::GuestEnd&) {
  BusMaster& s = *static_cast<BusMaster*>(state);
  // The one register every byte of the access lies in, else denied.
  if (s.base == 0 || a.port < s.base) return PortVerdict::deny;
  const unsigned offset = a.port - s.base;
  if (offset + a.bytes > bus_master_ports) return PortVerdict::deny;
  const unsigned n = offset >> 3, reg = offset & 7;
  const unsigned reg_last = reg + a.bytes - 1;
  const bool in_prd = reg >= reg_prd && reg_last < 8;
  if (!in_prd && a.bytes != 1) return PortVerdict::deny;
  BusMasterChannel& c = s.channel[n];
  if (in_prd) {
    const unsigned shift = 8 * (reg - reg_prd);
    const uint32_t mask = size_mask(a.bytes) << shift;
    if (a.in) {
      a.value = (c.prd_address & mask) >> shift;
    } else {
      c.prd_address = ((c.prd_address & ~mask) | ((a.value << shift) & mask)) & ~3u;
    }
    return PortVerdict::done;
  }
  if (reg == reg_command) {
    if (a.in) {
      a.value = c.command;
    } else {
      write_command(s, n, static_cast<uint8_t>(a.value));
    }
    return PortVerdict::done;
  }
  if (reg == reg_status) {
    if (a.in) {
      a.value = (port_in(a.port, 1) | c.status_kept) & 0xFF;
      return PortVerdict::done;
    }
    c.status_kept &= static_cast<uint8_t>(~a.value);
    return PortVerdict::pass;
  }
  return PortVerdict::pass;  // reserved
}

}  // namespace

bool find_bus_master_ide(uint32_t& pci_function, uint16_t& base) {
  constexpr uint32_t ide_class = 0x0101, prog_if_bus_master = 0x80;
  const uint32_t address_before = port_in(pci_address_port, 4);
  bool found = false;
  for (uint32_t device = 0; device < 32 && !found; ++device) {
    for (uint32_t fn = 0; fn < 8 && !found; ++fn) {
      const uint32_t function = device << 3 | fn;
      const uint32_t id = pci_read(function, 0x00);
      if ((id & 0xFFFF) == 0xFFFF) {
        if (fn == 0) break;  // no device
        continue;
      }
      const uint32_t class_reg = pci_read(function, 0x08);
      const bool ide = class_reg >> 16 == ide_class && (class_reg >> 8 & prog_if_bus_master) != 0;
      // Its I/O decode may be off now and on later: the BAR counts.
      const uint32_t bar4 = pci_read(function, 0x20);
      if (ide && (bar4 & 1) != 0) {
        pci_function = function;
        base = static_cast<uint16_t>(bar4 & 0xFFF0);
        found = true;
      }
      // A function 0 without the multi-function bit has no others.
      if (fn == 0 && (pci_read(function, 0x0C) >> 16 & 0x80) == 0) break;
    }
  }
  port_out(pci_address_port, 4, address_before);
  return found;
}

PortDevice bus_master_device(BusMaster& s, uint32_t pci_function, uint16_t base,
                             const DmaRam& ram, uint64_t vmm_first, uint64_t vmm_end) {
  s.pci_function = pci_function;
  s.base = base;
  s.slot = 0;
  s.ram = &ram;
  s.vmm_first = vmm_first;
  s.vmm_end = vmm_end;
  for (unsigned n = 0; n < 2; ++n) {
    BusMasterChannel& c = s.channel[n];
    c.command = c.status_kept = 0;
    c.engine_started = false;
    c.prd_address = 0;
    c.started = c.refused = 0;
    c.last_refusal = {};
    if (base == 0) continue;
    c.command = static_cast<uint8_t>(port_in(port_of(s, n, reg_command), 1)) &
                (bm_command_start | bm_command_device_writes);
    c.prd_address = port_in(port_of(s, n, reg_prd), 4) & ~3u;
    if ((c.command & bm_command_start) != 0) {
      port_out(port_of(s, n, reg_command), 1, c.command & bm_command_device_writes);
    }
  }
  return {"IDE bus master", access, &s, passes::none};
}

bool claim_bus_master(PortMap& ports, BusMaster& s, const PortDevice& device) {
  if (s.base == 0) return true;
  if (!ports.claim(s.base, bus_master_ports, device, "bus-master", "bus-master")) return false;
  s.slot = ports.slot_of(s.base);
  return true;
}

bool move_bus_master_block(PortMap& ports, BusMaster& s, const PortDevice& device,
                           uint16_t new_base) {
  const uint16_t base = new_base & 0xFFF0;
  if (base == 0) {
    s.base = 0;
    return true;
  }
  if (s.slot == 0) {
    s.base = base;
    if (claim_bus_master(ports, s, device)) return true;
    s.base = 0;
    return false;
  }
  if (!ports.move(s.slot, base)) return false;
  s.base = base;
  return true;
}

}  // namespace devices
