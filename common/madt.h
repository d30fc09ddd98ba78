// The ACPI MADT ("APIC", ACPI 5.2.12): the processors an OS may start, and
// the I/O APICs.
// Until VMX runs on every CPU, a CPU the guest started would run outside
// the VMM; the VMM shows the guest one processor, its own, by taking every
// other processor's Local APIC and Local x2APIC entry out of the table
// (the entries after it move up, the length shrinks, the freed tail is
// zeroed, the checksum is fixed), before the guest runs. Out, not marked
// disabled: Linux counts a disabled entry as a CPU it may hot-add later,
// and would then start it. Pure: over the table's bytes.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace madt {

struct Result {
  bool ok;              // a well-formed MADT (entries within its length)
  uint32_t processors;  // Local APIC / x2APIC entries
  uint32_t removed;     // of those, the ones this took out
};

// `table`, `length` bytes (the header's length, checked by the caller
// against the memory it lies in): a MADT whose checksum was checked. Every
// processor entry but the ones with APIC ID `keep` is taken out; the
// length and checksum are fixed. Nothing is written unless the table is
// well formed.
Result keep_one_processor(uint8_t* table, uint32_t length, uint32_t keep);

// The I/O APICs the table lists (entry type 1: ID, register address, first
// GSI), the devices' interrupt controllers whose redirection entries the
// chain guest programs through the VMM (vmm/devices/io_apic.h).
struct IoApic {
  uint8_t id;
  uint32_t address;
  uint32_t gsi_base;
};
inline constexpr uint32_t max_io_apics = 8;
struct IoApics {
  bool ok;         // a well-formed MADT
  uint32_t count;  // listed; at most max_io_apics of them in `entries`
  IoApic entries[max_io_apics];
};
IoApics io_apics(const uint8_t* table, uint32_t length);

}  // namespace madt
