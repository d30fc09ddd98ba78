// The I/O APICs (82093AA and its successors in the chipsets; the MADT's
// I/O APIC entries say where), which the guest programs itself but for
// the two delivery modes that would reach past the VMM:
//   - SMI: a pin programmed to send one would run the SMM handler, outside
//     VMX and the EPT, in memory a guest might have written (SeaBIOS in
//     Bochs leaves SMBASE at 0x30000, in the guest's RAM);
//   - INIT: a pin that sends one resets its destination CPUs when it
//     fires: the VMM's own CPU before its result line, or another CPU,
//     which runs without VMX.
// A redirection entry's low dword (IOREGSEL 0x10 + 2n, written through
// IOWIN at 0x10) with either mode is dropped, counted and reported; the
// entry keeps what it held. Every other write (IOREGSEL, the other
// registers, entries with the other modes, the EOI register of version
// 0x20 and later at 0x40) is carried out as the guest made it. The
// registers are 32 bits wide: other stores are dropped (Bochs ends the
// emulator on them). Each I/O APIC's page is a range of the MMIO map
// (devices/mmio_map.h), read-only in the guest's EPT. Pure: the registers
// through devices/apic_io.h.
#pragma once

#include <stdint.h>

#include "devices/mmio_map.h"

namespace devices {

namespace io_apic {

inline constexpr uint32_t select_offset = 0x00;  // IOREGSEL
inline constexpr uint32_t window_offset = 0x10;  // IOWIN
inline constexpr uint32_t first_redirection = 0x10;
inline constexpr uint32_t delivery_smi = 2, delivery_init = 5;

// Whether a write of `value` through IOWIN with IOREGSEL `select` programs a
// redirection entry to send an SMI or INIT (nullptr: it does not; else the
// mode's name).
constexpr const char* refused_delivery(uint32_t select, uint32_t value) {
  select &= 0xFF;  // bits 7:0 select the register
  if (select < first_redirection || (select & 1) != 0) return nullptr;  // not a low dword
  const uint32_t mode = (value >> 8) & 7;
  if (mode == delivery_smi) return "smi";
  if (mode == delivery_init) return "init";
  return nullptr;
}

}  // namespace io_apic

struct IoApics {
  uint32_t writes;            // carried out
  uint32_t refused_smi, refused_init;
  uint32_t misshapen_writes;  // not 32 bits at a register: dropped
  uint64_t last_refused_at;   // the I/O APIC's page
  uint32_t last_refused_entry, last_refused_value;
};

// The MMIO device's write function (MmioDevice::write; state: IoApics).
// The device serves every I/O APIC's page: the store's own page is the
// one it reaches.
MmioVerdict write_io_apic(void* state, MmioWrite& write, vmx::GuestEnd& end);

inline MmioDevice io_apic_device(IoApics& apics) {
  apics = IoApics{};
  return {"I/O APIC", write_io_apic, &apics};
}

}  // namespace devices
