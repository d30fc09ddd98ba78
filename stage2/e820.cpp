#include "e820.h"

#include "bios_call.h"

namespace e820 {

void collect(layout::BootInfo& info) {
  uint32_t count = 0;
  uint32_t continuation = 0;  // EBX: 0 asks for the first entry
  do {
    layout::E820Entry& entry = info.e820[count];
    // ACPI 3's extended attributes, bit 0 "valid": set beforehand for the
    // BIOSes that return 20-byte entries and never write the field.
    entry.acpi_attributes = 1;
    BiosRegs regs{};
    regs.eax = 0xE820;
    regs.edx = layout::E820_SMAP;
    regs.ecx = sizeof(layout::E820Entry);
    regs.ebx = continuation;
    regs.edi = uint32_t(uintptr_t(&entry));  // ES:DI, ES = 0: the boot info is below 64 KiB
    bios_call(0x15, regs);
    // CF on the first call: no E820; on a later one (some BIOSes): the end.
    if ((regs.eflags & kCarryFlag) != 0 || regs.eax != layout::E820_SMAP) break;
    if (regs.ecx != 0) ++count;  // an empty answer is no entry
    continuation = regs.ebx;
  } while (continuation != 0 && count < layout::E820_MAX_ENTRIES);
  info.e820_count = count;
}

}  // namespace e820
