#include "image_check.h"

#include <stddef.h>

#include "common/crc32c.h"

namespace image_check {
namespace {

using layout::ImageHeader;
using layout::PayloadEntry;
using layout::SECTOR_SIZE;

// Records a failed check. False, so that a check reads `return fail(...)`.
// (One out-parameter rather than a returned struct: stage2 reads every byte
// of this code from the disk twice at boot.)
bool fail(HeaderFault& f, HeaderCheck check, uint8_t payload, uint32_t found, uint32_t expected) {
  f.check = check;
  f.payload = payload;
  f.found = found;
  f.expected = expected;
  return false;
}

// One entry on its own: its counts first (each bounded before any product
// or sum uses it), then where it loads, then where it lies. `first_free`:
// the first sector it may use.
bool entry_ok(HeaderFault& f, const PayloadEntry& entry, uint8_t index, uint32_t first_free,
              uint32_t disk_sectors) {
  const uint32_t max_sectors = kPayloadLimits[index].max_bytes / SECTOR_SIZE;
  if (entry.sectors == 0 || entry.sectors > max_sectors) {
    return fail(f, HeaderCheck::sectors, index, entry.sectors, max_sectors);
  }
  // sectors <= max_sectors: the products below stay far from 2^32. The size
  // must need exactly this many sectors (what the CRC covers lies in them).
  const uint32_t capacity = entry.sectors * SECTOR_SIZE;
  if (entry.size > capacity || entry.size <= capacity - SECTOR_SIZE) {
    return fail(f, HeaderCheck::size, index, entry.size, capacity);
  }
  if (entry.load_addr != kPayloadLimits[index].load_addr) {
    return fail(f, HeaderCheck::load_addr, index, entry.load_addr,
                kPayloadLimits[index].load_addr);
  }
  // stage1 reads stage2 in one run right behind the header.
  if (index == layout::PAYLOAD_STAGE2 ? entry.first_lba != first_free
                                      : entry.first_lba < first_free) {
    return fail(f, HeaderCheck::first_lba, index, entry.first_lba, first_free);
  }
  // Subtraction, not first + sectors: that sum may wrap 32 bits.
  if (entry.first_lba > disk_sectors || entry.sectors > disk_sectors - entry.first_lba) {
    return fail(f, HeaderCheck::beyond_disk, index, entry.first_lba, disk_sectors);
  }
  return true;
}

bool header_ok(HeaderFault& f, const ImageHeader& header, uint32_t crc) {
  if (header.magic != layout::IMAGE_MAGIC) {
    return fail(f, HeaderCheck::magic, kNoPayload, uint32_t(header.magic),
                uint32_t(layout::IMAGE_MAGIC));
  }
  if (header.version != layout::IMAGE_VERSION) {
    return fail(f, HeaderCheck::version, kNoPayload, header.version, layout::IMAGE_VERSION);
  }
  if (header.payload_count != layout::PAYLOAD_COUNT) {
    return fail(f, HeaderCheck::payload_count, kNoPayload, header.payload_count,
                layout::PAYLOAD_COUNT);
  }
  if (crc != header.header_crc32) {
    return fail(f, HeaderCheck::crc, kNoPayload, crc, header.header_crc32);
  }
  // The VMM acts on the case by number and names it by number.
  // (By the numbers alone: stage2 need not carry the cases' names.)
  if (!layout::inject_known(header.inject)) {
    return fail(f, HeaderCheck::inject, kNoPayload, header.inject, 0);
  }
  // stage2 right behind the header, its spare right behind it, then the
  // others anywhere after the spare, each inside the disk.
  const uint32_t disk = header.disk_sectors;
  const PayloadEntry& stage2 = header.payloads[layout::PAYLOAD_STAGE2];
  if (!entry_ok(f, stage2, layout::PAYLOAD_STAGE2, layout::HEADER_LBA + 1, disk)) return false;
  const uint32_t spare = stage2.first_lba + stage2.sectors;  // inside the disk: no wrap
  if (stage2.sectors > disk - spare) {
    return fail(f, HeaderCheck::beyond_disk, kSpare, spare, disk);
  }
  const PayloadEntry& vmm = header.payloads[layout::PAYLOAD_VMM];
  const PayloadEntry& guest = header.payloads[layout::PAYLOAD_GUEST];
  static_assert(layout::PAYLOAD_COUNT == 3, "the VMM and the guest are the payloads after stage2");
  if (!entry_ok(f, vmm, layout::PAYLOAD_VMM, spare + stage2.sectors, disk) ||
      !entry_ok(f, guest, layout::PAYLOAD_GUEST, spare + stage2.sectors, disk)) {
    return false;
  }
  // Both inside the disk now (no sum wraps): they may not share a sector.
  if (vmm.first_lba < guest.first_lba + guest.sectors &&
      guest.first_lba < vmm.first_lba + vmm.sectors) {
    return fail(f, HeaderCheck::overlap, layout::PAYLOAD_GUEST, guest.first_lba, vmm.first_lba);
  }
  return true;
}

}  // namespace

HeaderFault check_header(const ImageHeader& header, uint32_t computed_crc) {
  HeaderFault fault;
  header_ok(fault, header, computed_crc);
  return fault;
}

HeaderFault check_header(const ImageHeader& header) {
  return check_header(header, crc32c(&header, offsetof(ImageHeader, header_crc32)));
}

const char* check_name(HeaderCheck check) {
  static constexpr const char* kNames[] = {
#define VMXBOOT_HEADER_CHECK_NAME(name, text) text,
      VMXBOOT_HEADER_CHECKS(VMXBOOT_HEADER_CHECK_NAME)
#undef VMXBOOT_HEADER_CHECK_NAME
  };
  return kNames[uint32_t(check)];  // (every HeaderCheck is in the table)
}

const char* fault_region(uint8_t payload) {
  if (payload < layout::PAYLOAD_COUNT) return layout::PAYLOAD_NAMES[payload];
  return payload == kSpare ? "spare" : "header";
}

}  // namespace image_check
