// stage2's 32-bit part: runs in flat protected mode (no paging, interrupts
// off) after the real-mode part has done what needs the BIOS. It reports what
// that part recorded, checks the image header, the CPU and every payload's
// CRC-32C (where the 64-bit part does not), finds the ACPI power-off and
// builds the long-mode page tables (stage2.asm's 64-bit part moves the VMM
// to its load address). Any failure ends the run here, with the
// same result contract as the VMM. Returns the VMM's entry address.
#include <stddef.h>
#include <stdint.h>

#include "ia32/cpuid.h"
#include "ia32/exceptions.h"
#include "ia32/instructions.h"
#include "image_check.h"
#include "layout.h"
#include "common/boot_report.h"
#include "common/console.h"
#include "common/crc32c.h"
#include "common/end_run.h"
#include "common/end_wait.h"
#include "common/paging.h"

using namespace layout;

namespace {

const char* payload_name(uint32_t index) {
  return index < PAYLOAD_COUNT ? PAYLOAD_NAMES[index] : "?";
}

// The header as stage1 left it at HEADER_ADDR, by the same check mkimage and
// `make inspect` run (image/image_check.h): nothing after this trusts a field
// it has not passed. `crc`: its CRC-32C as stage2's real-mode part computed
// it over these very bytes (BootInfo::header_crc32), computed once a boot.
void check_header(const ImageHeader& header, uint32_t crc) {
  const image_check::HeaderFault fault = image_check::check_header(header, crc);
  if (fault.ok()) return;
  // (One line for every check: each byte here is read twice at boot.)
  end_run("bad-image", "payload=header reason=%s entry=%s expected=0x%08x found=0x%08x",
          image_check::check_name(fault.check), image_check::fault_region(fault.payload),
          fault.expected, fault.found);
}

// stage2's own sector count, from its first sector (STAGE2_SECTORS_OFFSET):
// stage1's sum covers it, and that sector checked it before using it.
uint32_t stage2_sectors() {
  return *reinterpret_cast<const uint32_t*>(uintptr_t(STAGE2_ADDR + STAGE2_SECTORS_OFFSET));
}

// stage2's real-mode part checks the header (CRC-32C first) before it uses
// any field of it, and reads nothing for a header that fails. What is wrong
// is named by the shared check (check_header, which ends the run); the
// real-mode part's own finding is reported only if the two disagree.
void check_real_mode_header(const BootInfo& info, const ImageHeader& header) {
  if (info.header_fault == HEADER_OK) return;
  // (The real-mode part may have stopped before its CRC: computed here.)
  check_header(header, crc32c(&header, offsetof(ImageHeader, header_crc32)));
  console::printf("stage2: the real-mode check refused the header, image_check passed it\n");
  switch (info.header_fault) {
    case HEADER_BAD_CRC:
      end_run("bad-image", "payload=header reason=crc expected=0x%08x found=0x%08x",
              header.header_crc32, info.header_crc32);
    case HEADER_BAD_MAGIC:
      end_run("bad-image", "payload=header reason=magic");
    case HEADER_BAD_VERSION:
      end_run("bad-image", "payload=header reason=version version=%u payloads=%u",
              header.version, header.payload_count);
    case HEADER_BAD_ENTRY: {
      // (fail_payload < PAYLOAD_COUNT: the real-mode part stops there.)
      const uint32_t index = info.fail_payload < PAYLOAD_COUNT ? info.fail_payload : 0;
      const PayloadEntry& entry = header.payloads[index];
      end_run("bad-image",
              "payload=header reason=entry entry=%s first-lba=%u sectors=%u size=%u load=0x%08x",
              payload_name(index), entry.first_lba, entry.sectors, entry.size, entry.load_addr);
    }
    default:
      end_run("bad-image", "payload=header reason=unknown fault=%u", info.header_fault);
  }
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
void check_real_mode_steps(const BootInfo& info, const ImageHeader& header) {
  if (info.fail_step == FAIL_NONE) return;
  boot_report::print_disk_and_memory(info);
  switch (info.fail_step) {
    case FAIL_A20:
      end_run("no-a20", "step=a20 tried=port92,int15,kbc");
    case FAIL_READ:
      end_run("disk-error", "payload=%s step=read lba=%u status=0x%02x",
              payload_name(info.fail_payload), info.fail_lba, info.fail_status);
    case FAIL_TOO_BIG:
      end_run("bad-image", "payload=%s reason=does-not-fit sectors=%u load=0x%08x",
              payload_name(info.fail_payload),
              header.payloads[info.fail_payload].sectors,
              header.payloads[info.fail_payload].load_addr);
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

[[noreturn]] void report_bad_crc(uint32_t index, uint32_t expected, uint32_t found) {
  end_run("bad-image", "payload=%s reason=crc expected=0x%08x found=0x%08x", payload_name(index),
          expected, found);
}

}  // namespace

// Bit i set: payload i is checked by stage2.asm in 64-bit mode (a payload
// moved above 1 MiB, on a CPU with SSE4.2: CRC32 on 64-bit operands takes 8
// bytes an instruction, twice what 32-bit code can).
extern "C" uint32_t stage2_crc_in_long_mode;

// stage2.asm, in compatibility mode, when that check failed.
extern "C" [[noreturn]] void stage2_bad_payload(uint32_t index, uint32_t found) {
  const ImageHeader& header = *reinterpret_cast<const ImageHeader*>(uintptr_t(HEADER_ADDR));
  report_bad_crc(index, header.payloads[index].crc32, found);
}

namespace {

// Every payload against its CRC-32C, where it was read.
void verify_and_place_payloads(BootInfo& info, const ImageHeader& header) {
  info.payloads[PAYLOAD_STAGE2] = {STAGE2_ADDR, STAGE2_ADDR, header.payloads[PAYLOAD_STAGE2].size,
                                   header.payloads[PAYLOAD_STAGE2].crc32};
  for (uint32_t i = 1; i < PAYLOAD_COUNT; ++i) {
    LoadedPayload& loaded = info.payloads[i];
    const PayloadEntry& entry = header.payloads[i];
    if (loaded.read_addr != loaded.load_addr && crc32c_has_sse42()) {
      stage2_crc_in_long_mode |= 1u << i;
      continue;
    }
    const uint8_t* read_at = reinterpret_cast<const uint8_t*>(uintptr_t(loaded.read_addr));
    loaded.crc32 = crc32c(read_at, entry.size);
    if (loaded.crc32 != entry.crc32) report_bad_crc(i, entry.crc32, loaded.crc32);
    // (A payload read below 1 MiB for a home above it is moved there by
    // stage2.asm once in 64-bit mode: REP MOVSQ moves twice what REP MOVSD
    // does per iteration, and Bochs counts iterations.)
  }
}

}  // namespace

// From the IDT stubs in stage2.asm: the stack holds the vector, the error
// code (0 where the CPU pushes none) and the EIP of the fault, as arguments.
extern "C" [[noreturn]] void stage2_exception(uint32_t vector, uint32_t error_code,
                                              uint32_t eip) {
  console::printf("stage2: exception %s (vector %u) at eip=0x%08x, error code 0x%x, cr2=0x%08x\n",
                  exception_name(vector), vector, eip, error_code, uint32_t(read_cr2()));
  end_run("host-exception", "stage=stage2 vector=%u error=0x%x rip=0x%x", vector, error_code, eip);
}

extern "C" uint32_t stage2_main(BootInfo* info) {
  console::init();
  // One line on the way through: COM1 costs hundreds of emulated instructions
  // a byte, and boot time is counted to the VMM's first instruction. The VMM
  // tells the rest (common/boot_report.h); a stop here tells it first.
  console::write("vmxboot: stage2\n");
  const ImageHeader& header = *reinterpret_cast<const ImageHeader*>(uintptr_t(HEADER_ADDR));
  check_real_mode_header(*info, header);
  check_header(header, info->header_crc32);
  // The VMM acts on the case by its number: only a case the table lists.
  if (!inject_known(header.inject)) {
    end_run("bad-image", "payload=header reason=inject inject=%u", header.inject);
  }
  info->inject = header.inject;
  info->end_wait_seconds = header.end_wait_seconds;
  end_wait::set_seconds(header.end_wait_seconds);
  check_stage2_copies(*info);
  check_real_mode_steps(*info, header);
  const uint32_t extended_features = require_long_mode(*info);
  verify_and_place_payloads(*info, header);

  paging::build_identity_map_4g(reinterpret_cast<uint64_t*>(uintptr_t(PAGE_TABLES_ADDR)),
                                PAGE_TABLES_ADDR, (extended_features & cpuid80000001_edx_1g_pages) != 0);
  info->console_row = uint8_t(console::row());
  return info->payloads[PAYLOAD_VMM].load_addr;
}
