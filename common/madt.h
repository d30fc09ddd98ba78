// The ACPI MADT ("APIC", ACPI 5.2.12): the processors an OS may start.
// Until VMX runs on every CPU, a CPU the guest started would run outside
// the VMM; the VMM shows the guest one processor, its own, by marking every
// other processor's Local APIC and Local x2APIC entry disabled (neither
// enabled nor online-capable, as firmware marks a processor that is absent)
// and fixing the table's checksum, before the guest runs. Pure: over the
// table's bytes.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace madt {

struct Result {
  bool ok;              // a well-formed MADT (entries within its length)
  uint32_t processors;  // Local APIC / x2APIC entries
  uint32_t disabled;    // of those, the ones this marked disabled
};

// `table`, `length` bytes: a MADT whose checksum was checked. Every
// processor entry but the one with APIC ID `keep` is marked disabled; the
// checksum is fixed. Nothing is written unless the table is well formed.
Result keep_one_processor(uint8_t* table, uint32_t length, uint32_t keep);

}  // namespace madt
