#include "real_mode.h"

#include <stddef.h>

#include "a20.h"
#include "common/crc32c.h"
#include "disk.h"
#include "e820.h"
#include "layout.h"

using namespace layout;

image_check::HeaderFault stage2_header_fault;

namespace {

// Where payload `index` is read: its own address below 1 MiB, the staging
// area below it for a payload bound above it (INT 13h reaches only the
// first MiB; stage2's 32-bit part checks it there and moves it). The header
// check holds every load address to image_check::kPayloadLimits, so the
// place is the payload's, not the header's.
constexpr uint32_t read_address(uint32_t index) {
  const uint32_t load = image_check::kPayloadLimits[index].load_addr;
  return load < 0x100000 ? load : STAGING_ADDR;
}
static_assert(read_address(PAYLOAD_VMM) == STAGING_ADDR && read_address(PAYLOAD_GUEST) == GUEST_ADDR,
              "one payload, the VMM, goes through the staging area");
static_assert(image_check::kPayloadLimits[PAYLOAD_VMM].max_bytes <= STAGING_END - STAGING_ADDR);

// stage2's fields of the boot info start out zero (stage1 cleared the ones
// before its TSC, which stage1 and stage2's first sector set).
void start_boot_info(BootInfo& info) {
  constexpr size_t first = offsetof(BootInfo, tsc_long_mode);
  __builtin_memset(reinterpret_cast<char*>(&info) + first, 0, sizeof info - first);
  info.magic = BOOTINFO_MAGIC;
}

// The CRC-32C of the header's bytes before its own CRC: SSE4.2's CRC32
// instruction works in real mode; without it bit by bit, since the tables
// would not fit below 64 KiB beside stage2 (common/crc32c.h).
uint32_t header_crc(const ImageHeader& header) {
  constexpr size_t bytes = offsetof(ImageHeader, header_crc32);
  return crc32c_has_sse42() ? crc32c_update_sse42(0, &header, bytes)
                            : crc32c_update_bitwise(0, &header, bytes);
}

// Payloads 1.. as the checked header lists them; stage2 itself is loaded.
void load_payloads(BootInfo& info, const ImageHeader& header) {
  for (uint32_t i = PAYLOAD_STAGE2 + 1; i < PAYLOAD_COUNT; ++i) {
    const PayloadEntry& entry = header.payloads[i];
    LoadedPayload& loaded = info.payloads[i];
    loaded.load_addr = entry.load_addr;
    loaded.size = entry.size;
    loaded.read_addr = read_address(i);
    if (!disk::read(info, entry.first_lba, entry.sectors, loaded.read_addr)) {
      info.fail_payload = uint8_t(i);
      info.fail_step = FAIL_READ;
      return;
    }
  }
}

// The shared check, then what only stage2 at boot can hold the header to:
// its stage2 entry is stage2 as it runs, with the sector count stage2's
// first sector carries and checked the rest with (`make inspect` compares
// the same two counts on the disk).
image_check::HeaderFault check_header(const ImageHeader& header) {
  image_check::HeaderFault fault = image_check::check_header(header, header_crc(header));
  const uint32_t own =
      *reinterpret_cast<const uint32_t*>(uintptr_t{STAGE2_ADDR + STAGE2_SECTORS_OFFSET});
  const uint32_t listed = header.payloads[PAYLOAD_STAGE2].sectors;
  if (fault.ok() && listed != own) {
    fault = {image_check::HeaderCheck::sectors, PAYLOAD_STAGE2, listed, own};
  }
  return fault;
}

}  // namespace

extern "C" void stage2_real_mode() {
  BootInfo& info = *reinterpret_cast<BootInfo*>(uintptr_t{BOOTINFO_ADDR});
  const ImageHeader& header = *reinterpret_cast<const ImageHeader*>(uintptr_t{HEADER_ADDR});
  start_boot_info(info);
  stage2_header_fault = check_header(header);
  info.a20_method = a20::enable();
  if (info.a20_method == 0) info.fail_step = FAIL_A20;
  e820::collect(info);
  // Nothing is read for a header that failed (its fields mean nothing), nor
  // without A20 (the run ends there).
  if (stage2_header_fault.ok() && info.fail_step == FAIL_NONE) load_payloads(info, header);
}
