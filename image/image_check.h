// The check of the image header (LBA 1) that stage2 runs at boot and that
// mkimage, `make inspect` and the fuzz target run on the host: one code for
// all of them (image_check.cpp), so the host can never accept a header the
// loader refuses or the other way round.
//
// No field is trusted before the magic, the version, the payload count and
// the header's own CRC-32C have passed; then every payload entry is
// range-checked in arithmetic that cannot overflow (each count is bounded
// before it is multiplied or added). Freestanding: no library, no
// exceptions, no allocation (it runs in stage2's real-mode C++, built with
// -m16, where everything lies below 64 KiB).
#pragma once

#include <stdint.h>

#include "layout.h"

namespace image_check {

// Where one payload must load and how big it may be: what the loader can
// place (image_builder and the header check both take their limits here).
struct PayloadLimit {
  uint32_t load_addr;
  uint32_t max_bytes;
};
inline constexpr PayloadLimit kPayloadLimits[layout::PAYLOAD_COUNT] = {
    // stage1 reads the header, stage2 and the spare's first sector into
    // stage2's window: stage2 leaves one sector of it for that spare sector.
    {layout::STAGE2_ADDR, layout::STAGE2_MAX_BYTES - layout::SECTOR_SIZE},
    // The VMM is read to the staging area below 1 MiB (INT 13h reaches only
    // that far) before it moves to its address: it can be no bigger.
    {layout::VMM_ADDR, layout::VMM_MAX_BYTES < layout::STAGING_END - layout::STAGING_ADDR
                           ? layout::VMM_MAX_BYTES
                           : layout::STAGING_END - layout::STAGING_ADDR},
    {layout::GUEST_ADDR, layout::GUEST_MAX_BYTES},
};
static_assert(layout::GUEST_ADDR + layout::GUEST_MAX_BYTES <= layout::STAGING_ADDR &&
              layout::GUEST_ADDR >= layout::STAGE2_ADDR + layout::STAGE2_MAX_BYTES +
                                        layout::SECTOR_SIZE,
              "stage2 reads the guest straight to its address, between its own window "
              "(and the spare sector behind it) and the staging area");
static_assert(kPayloadLimits[0].max_bytes % layout::SECTOR_SIZE == 0 &&
              kPayloadLimits[1].max_bytes % layout::SECTOR_SIZE == 0 &&
              kPayloadLimits[2].max_bytes % layout::SECTOR_SIZE == 0);

// What failed, in the order the checks run. The names (check_name) are the
// `reason=` of stage2's `bad-image payload=header` result line.
#define VMXBOOT_HEADER_CHECKS(X)                                                  \
  X(ok, "ok")                                                                     \
  X(magic, "magic")                  /* found/expected: the magic's low dword */  \
  X(version, "version")                                                           \
  X(payload_count, "payload-count")                                               \
  X(crc, "crc")                      /* found: computed, expected: stored */      \
  X(inject, "inject")                /* a number no case has */                    \
  X(sectors, "sectors")              /* found: sectors, expected: the maximum */  \
  X(size, "size")                    /* found: size, expected: sectors * 512 */   \
  X(load_addr, "load-addr")                                                       \
  X(first_lba, "first-lba")          /* stage2, spare, then the others */         \
  X(beyond_disk, "beyond-disk")      /* found: first LBA, expected: disk_sectors */\
  X(overlap, "overlap")              /* the guest shares sectors with the VMM:  \
                                        found: its first LBA, expected: the VMM's */

enum class HeaderCheck : uint8_t {
#define VMXBOOT_HEADER_CHECK_ENUM(name, text) name,
  VMXBOOT_HEADER_CHECKS(VMXBOOT_HEADER_CHECK_ENUM)
#undef VMXBOOT_HEADER_CHECK_ENUM
};

// The spare copy of stage2, as a "payload" index in HeaderFault::payload.
inline constexpr uint8_t kSpare = layout::PAYLOAD_COUNT;
inline constexpr uint8_t kNoPayload = 0xFF;

struct HeaderFault {
  HeaderCheck check = HeaderCheck::ok;
  uint8_t payload = kNoPayload;  // layout::PAYLOAD_*, kSpare, or kNoPayload
  uint32_t found = 0;
  uint32_t expected = 0;
  bool ok() const { return check == HeaderCheck::ok; }
};

// Checks the header at `header` (the sector as read: the bytes may be
// anything). The first failing check, or ok.
HeaderFault check_header(const layout::ImageHeader& header);
// The same, with the CRC-32C of the bytes before header_crc32 already
// computed over this very header (stage2's real-mode part does, and
// passes it on): computed once per boot.
HeaderFault check_header(const layout::ImageHeader& header, uint32_t computed_crc);

// "crc", "sectors", ... (see VMXBOOT_HEADER_CHECKS).
const char* check_name(HeaderCheck check);

// "stage2", "vmm", "guest", "spare", or "header" for kNoPayload.
const char* fault_region(uint8_t payload);

}  // namespace image_check
