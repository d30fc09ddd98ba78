// stage2's 32-bit part: runs in flat protected mode (no paging, interrupts
// off) after the real-mode part (real_mode.h) has done what needs the BIOS.
// It reports what that part recorded, the image header's check among it,
// checks the CPU, the memory the VMM needs and every payload's CRC-32C
// and builds the long-mode page tables; modes.asm then moves the VMM to its
// address in long mode. Any failure ends the run here, with the same result
// contract as the VMM.
#include <stddef.h>
#include <stdint.h>

#include "ia32/cpuid.h"
#include "ia32/exceptions.h"
#include "ia32/instructions.h"
#include "image_check.h"
#include "layout.h"
#include "real_mode.h"
#include "common/boot_report.h"
#include "common/console.h"
#include "common/crc32c.h"
#include "common/end_run.h"
#include "common/end_wait.h"
#include "common/paging.h"
#include "common/usable_ram.h"

using namespace layout;

namespace {

const char* payload_name(uint32_t index) {
  return index < PAYLOAD_COUNT ? PAYLOAD_NAMES[index] : "?";
}

// The image header's check, made by the real-mode part before it used any
// field of the header (image/image_check.h, as mkimage and `make inspect`
// run it): nothing after this trusts a field that has not passed it.
void report_header(const image_check::HeaderFault& fault) {
  if (fault.ok()) return;
  end_run("bad-image", "payload=header reason=%s entry=%s expected=0x%08x found=0x%08x",
          image_check::check_name(fault.check), image_check::fault_region(fault.payload),
          fault.expected, fault.found);
}

// stage2's own sector count, from its first sector (STAGE2_SECTORS_OFFSET):
// stage1's sum covers it, and that sector checked it before using it.
uint32_t stage2_sectors() {
  return *reinterpret_cast<const uint32_t*>(uintptr_t(STAGE2_ADDR + STAGE2_SECTORS_OFFSET));
}

// stage2 itself: stage1 runs the spare copy of its first sector when that
// sector's dwords do not sum to the magic, the first sector reads the spare's
// other sectors when those do not match the sum it carries, and it checks
// the spare's first sector on every boot (abi/layout.h, stage2_spare_lba).
// The count comes from stage2's first sector, which checked it (at most
// STAGE2_MAX_SECTORS), not from the header.
void check_stage2_copies(const BootInfo& info) {
  const uint32_t sectors = stage2_sectors();
  const uint32_t spare = stage2_spare_lba(sectors);
  if (info.stage2_spare_used) {
    console::printf(
        "stage2: the first sector of stage2 (LBA %u) is damaged: its dwords do not sum to the "
        "stage2 magic. stage1 ran the spare copy (LBA %u) to report it. Rewrite the image.\n",
        STAGE2_LBA, spare);
    end_run("bad-image", "payload=stage2 reason=sum part=first lba=%u", STAGE2_LBA);
  }
  if (info.stage2_rest_spare_used) {
    console::printf(
        "stage2: sectors %u-%u of stage2 are damaged: their sum differs from the one in its first "
        "sector. Their spare copy (LBA %u-%u) was read to report it. Rewrite the image.\n",
        STAGE2_LBA + 1, STAGE2_LBA + sectors - 1, spare + 1, spare + sectors - 1);
    end_run("bad-image", "payload=stage2 reason=sum part=rest lba=%u", STAGE2_LBA + 1);
  }
  if (info.stage2_spare_bad) {
    console::printf(
        "stage2: the spare copy of stage2's first sector (LBA %u) is damaged: its dwords do not "
        "sum to the stage2 magic. Rewrite the image.\n",
        spare);
    end_run("bad-image", "payload=stage2 reason=sum part=spare lba=%u", spare);
  }
}

// What the real-mode part could not do.
void check_real_mode_steps(const BootInfo& info) {
  if (info.fail_step == FAIL_NONE) return;
  boot_report::print_disk_and_memory(info);
  switch (info.fail_step) {
    case FAIL_A20:
      end_run("no-a20", "step=a20 tried=port92,int15,kbc");
    case FAIL_READ:
      end_run("disk-error", "payload=%s step=read lba=%u status=0x%02x",
              payload_name(info.fail_payload), info.fail_lba, info.fail_status);
    default:
      end_run("bad-image", "payload=stage2 reason=unknown-step step=%u", info.fail_step);
  }
}

// Returns CPUID 0x80000001 EDX.
uint32_t require_long_mode(const BootInfo& info) {
  uint32_t regs[4];
  cpuid(cpuid_leaf::max_extended, 0, regs);
  uint32_t edx = 0;
  if (has_extended_leaf(regs[0], cpuid_leaf::extended_features)) {
    cpuid(cpuid_leaf::extended_features, 0, regs);
    edx = regs[3];
  }
  if (!(edx & cpuid80000001_edx_long_mode)) {
    cpuid(cpuid_leaf::vendor, 0, regs);
    char vendor[13];
    decode_vendor(regs[1], regs[2], regs[3], vendor);
    boot_report::print_disk_and_memory(info);
    console::printf("stage2: this CPU (%s) does not support 64-bit mode; the VMM needs it\n",
                    vendor);
    end_run("no-long-mode", "vendor=%s", vendor);
  }
  return edx;
}

// Everything stage2 puts above 1 MiB lies in the VMM's memory: the VMM
// (moved there below), its page tables (built there below) and chain mode's
// EPT (the VMM's).
static_assert(VMM_ADDR >= 0x100000 && PAGE_TABLES_ADDR >= VMM_ADDR &&
              PAGE_TABLES_ADDR + PAGE_TABLES_BYTES <= VMM_MEMORY_END &&
              IDENTITY_EPT_ADDR >= VMM_ADDR && IDENTITY_EPT_ADDR + IDENTITY_EPT_BYTES <= VMM_MEMORY_END);

// Before anything goes above 1 MiB: the E820 map must offer usable RAM for
// all of the VMM's memory (a machine with too little once triple-faulted
// here, writing the page tables where no RAM was).
void require_memory(const BootInfo& info) {
  const uint64_t usable_end =
      usable_ram::end_of_usable(info.e820, info.e820_count, VMM_ADDR, VMM_MEMORY_END);
  if (usable_end == VMM_MEMORY_END) return;
  boot_report::print_disk_and_memory(info);
  for (uint32_t i = 0; i < info.e820_count; ++i) {
    const E820Entry& e = info.e820[i];
    console::printf("stage2: E820 0x%016llx, 0x%llx bytes, type %u\n",
                    static_cast<unsigned long long>(e.base),
                    static_cast<unsigned long long>(e.length), e.type);
  }
  // (VMM_ADDR <= usable_end < VMM_MEMORY_END: 32 bits.)
  const uint32_t offered = uint32_t(usable_end);
  if (offered == VMM_ADDR) {
    console::printf("stage2: not enough memory: the VMM needs usable RAM from 0x%x to 0x%x; the "
                    "E820 map has none at 0x%x\n", VMM_ADDR, VMM_MEMORY_END, VMM_ADDR);
  } else {
    console::printf("stage2: not enough memory: the VMM needs usable RAM from 0x%x to 0x%x; the "
                    "E820 map has it only to 0x%x\n", VMM_ADDR, VMM_MEMORY_END, offered);
  }
  end_run("no-memory", "need=0x%x-0x%x usable-end=0x%x", VMM_ADDR, VMM_MEMORY_END, offered);
}

// Every payload against its CRC-32C where it was read. The one read
// elsewhere than its address, the VMM (real_mode.cpp), is moved there in
// long mode (modes.asm).
void verify_payloads(BootInfo& info, const ImageHeader& header) {
  info.payloads[PAYLOAD_STAGE2] = {STAGE2_ADDR, STAGE2_ADDR, header.payloads[PAYLOAD_STAGE2].size,
                                   header.payloads[PAYLOAD_STAGE2].crc32};
  for (uint32_t i = PAYLOAD_STAGE2 + 1; i < PAYLOAD_COUNT; ++i) {
    LoadedPayload& loaded = info.payloads[i];
    const PayloadEntry& entry = header.payloads[i];
    loaded.crc32 = crc32c(reinterpret_cast<const void*>(uintptr_t(loaded.read_addr)), entry.size);
    if (loaded.crc32 != entry.crc32) {
      end_run("bad-image", "payload=%s reason=crc expected=0x%08x found=0x%08x", payload_name(i),
              entry.crc32, loaded.crc32);
    }
  }
}

}  // namespace

// From the IDT stubs in modes.asm: the stack holds the vector, the error
// code (0 where the CPU pushes none) and the EIP of the fault, as arguments.
extern "C" [[noreturn]] void stage2_exception(uint32_t vector, uint32_t error_code,
                                              uint32_t eip) {
  console::printf("stage2: exception %s (vector %u) at eip=0x%08x, error code 0x%x, cr2=0x%08x\n",
                  exception_name(vector), vector, eip, error_code, uint32_t(read_cr2()));
  end_run("host-exception", "stage=stage2 vector=%u error=0x%x rip=0x%x", vector, error_code, eip);
}

extern "C" void stage2_main(BootInfo* info) {
  console::init();
  // One line on the way through: COM1 costs hundreds of emulated instructions
  // a byte, and boot time is counted to the VMM's first instruction. The VMM
  // tells the rest (common/boot_report.h); a stop here tells it first.
  console::write("vmxboot: stage2\n");
  report_header(stage2_header_fault);
  const ImageHeader& header = *reinterpret_cast<const ImageHeader*>(uintptr_t(HEADER_ADDR));
  info->inject = header.inject;
  info->end_wait_seconds = header.end_wait_seconds;
  end_wait::set_seconds(header.end_wait_seconds);
  check_stage2_copies(*info);
  check_real_mode_steps(*info);
  const uint32_t extended_features = require_long_mode(*info);
  require_memory(*info);
  verify_payloads(*info, header);

  paging::build_identity_map_4g(reinterpret_cast<uint64_t*>(uintptr_t(PAGE_TABLES_ADDR)),
                                PAGE_TABLES_ADDR, (extended_features & cpuid80000001_edx_1g_pages) != 0);
  info->console_row = uint8_t(console::row());
}
