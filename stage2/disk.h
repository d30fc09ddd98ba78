// Reading the boot disk through the BIOS, from stage2's real-mode part
// (-m16): INT 13h extensions or CHS, as stage1 found the drive (the boot
// info's disk_uses_lba and geometry), with the rules of docs/boot.md.
#pragma once

#include <stdint.h>

#include "layout.h"

namespace disk {

// Reads `sectors` sectors from `lba` on to the physical address
// `destination` (512-byte aligned, below 1 MiB), split into reads of at
// most MAX_SECTORS_PER_READ sectors that never cross a 64 KiB boundary,
// each tried READ_RETRIES times with a drive reset in between. Counts the
// calls in info.bios_disk_reads. False on failure, with the sector that
// failed in info.fail_lba and the BIOS status in info.fail_status.
bool read(layout::BootInfo& info, uint32_t lba, uint32_t sectors, uint32_t destination);

}  // namespace disk
