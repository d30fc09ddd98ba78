// stage2's real-mode part (C++ built with -m16, stage2/*.cpp but main32.cpp):
// everything that needs the BIOS, run once stage2's first sector has checked
// the rest of stage2 and before protected mode. It prints nothing: what it
// found goes into the boot info (and the header's check below), which
// stage2's 32-bit part (main32.cpp) reports.
//
// Real mode with CS = DS = ES = SS = 0: stage2 is linked at its physical
// address below 64 KiB, so a pointer is a linear address, for its own code
// and data, the boot info, the header and the stack alike. What lies above
// 64 KiB (the guest, the staging area) only the BIOS writes, by segment.
// GCC's -m16 code is 32-bit code with operand- and address-size prefixes:
// it addresses the stack through all of ESP, whose upper half is kept 0,
// and its string instructions count in CX and address by SI and DI, 16
// bits (docs/boot.md).
#pragma once

#include "image_check.h"

// The entry, from entry.asm (a 32-bit near call: -m16 code returns with
// RETL). Checks the image header, turns A20 on, collects the E820 map and
// reads the payloads the header lists (none after a failed check or
// without A20).
extern "C" void stage2_real_mode();

// The image header's check (image/image_check.h, as `make inspect` runs
// it), made once at boot, here, before any field of the header is used.
extern "C" image_check::HeaderFault stage2_header_fault;
