// What the boot stages did, told from the boot info: stage2 prints it when it
// has to stop, the VMM when it has taken over. One formatter for both.
#pragma once

#include "layout.h"

namespace boot_report {

// "boot: drive 0x80 via INT 13h extensions, 3 BIOS disk reads, A20 ..., N E820 entries"
void print_disk_and_memory(const layout::BootInfo& info);
// One line per payload after stage1's: name, size, where it runs, CRC-32.
void print_payloads(const layout::BootInfo& info);

}  // namespace boot_report
