// fuzz_image_header: the input is the header sector as a damaged disk could
// hold it. image_check::check_header runs on it as it is, then again with the
// magic, version, payload count and CRC made right: random bytes almost
// never pass the CRC, and the range checks behind it are what needs
// exploring. Whatever it accepts must meet every rule the loader relies on,
// written out here a second way (64-bit arithmetic, no early bounds), and
// whatever meets them all it must accept.
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "image_check.h"
#include "common/crc32c.h"
#include "tests/fuzz/fuzz_targets.h"

namespace {

using layout::ImageHeader;
using layout::PayloadEntry;
using layout::SECTOR_SIZE;

struct Run {
  uint64_t first, count;
};

bool disjoint(Run a, Run b) { return a.first + a.count <= b.first || b.first + b.count <= a.first; }

// The rules, as the loader needs them.
bool loader_can_use(const ImageHeader& h) {
  if (h.magic != layout::IMAGE_MAGIC || h.version != layout::IMAGE_VERSION ||
      h.payload_count != layout::PAYLOAD_COUNT ||
      crc32c(&h, offsetof(ImageHeader, header_crc32)) != h.header_crc32 ||
      layout::find_inject_case(h.inject) == nullptr) {
    return false;
  }
  Run runs[layout::PAYLOAD_COUNT + 1];
  for (uint32_t i = 0; i < layout::PAYLOAD_COUNT; ++i) {
    const PayloadEntry& e = h.payloads[i];
    const uint64_t capacity = uint64_t(e.sectors) * SECTOR_SIZE;
    // Exactly the sectors its size needs, no more than its limit allows.
    if (e.sectors == 0 || capacity > image_check::kPayloadLimits[i].max_bytes ||
        e.size > capacity || uint64_t(e.size) + SECTOR_SIZE <= capacity) {
      return false;
    }
    if (e.load_addr != image_check::kPayloadLimits[i].load_addr) return false;
    runs[i] = {e.first_lba, e.sectors};
  }
  runs[layout::PAYLOAD_COUNT] = {runs[0].first + runs[0].count, runs[0].count};  // the spare
  // The format's order: stage2 right behind the header, its spare behind
  // it, the others after the spare.
  if (runs[0].first != layout::HEADER_LBA + 1) return false;
  for (uint32_t i = 1; i < layout::PAYLOAD_COUNT; ++i) {
    if (runs[i].first < runs[0].first + 2 * runs[0].count) return false;
  }
  for (uint32_t a = 0; a <= layout::PAYLOAD_COUNT; ++a) {
    if (runs[a].first + runs[a].count > h.disk_sectors) return false;
    for (uint32_t b = a + 1; b <= layout::PAYLOAD_COUNT; ++b) {
      if (!disjoint(runs[a], runs[b])) return false;
    }
  }
  return true;
}

// What stage1 and stage2's real-mode part do with an accepted header must
// stay inside the memory they were given (stage2/real_mode.cpp, load_payloads).
void require_loadable(const ImageHeader& h) {
  const uint64_t stage2_sectors = h.payloads[layout::PAYLOAD_STAGE2].sectors;
  // stage1: the header, stage2 and the spare's first sector in one read,
  // its count masked with 63 (+1), below 64 KiB.
  if (1 + stage2_sectors + 1 > 64 ||
      layout::HEADER_ADDR + (1 + stage2_sectors + 1) * SECTOR_SIZE > 0x10000) {
    abort();
  }
  const PayloadEntry& guest = h.payloads[layout::PAYLOAD_GUEST];
  if (guest.load_addr < layout::STAGE2_ADDR + layout::STAGE2_MAX_BYTES + SECTOR_SIZE ||
      uint64_t(guest.load_addr) + uint64_t(guest.sectors) * SECTOR_SIZE > layout::STAGING_ADDR) {
    abort();
  }
  const PayloadEntry& vmm = h.payloads[layout::PAYLOAD_VMM];
  if (uint64_t(vmm.sectors) * SECTOR_SIZE > layout::STAGING_END - layout::STAGING_ADDR ||
      uint64_t(vmm.load_addr) + (uint64_t(vmm.size) + 7) / 8 * 8 > layout::PAGE_TABLES_ADDR) {
    abort();
  }
}

void check_one(const ImageHeader& header) {
  const image_check::HeaderFault fault = image_check::check_header(header);
  if (fault.ok() != loader_can_use(header)) abort();
  if (fault.ok()) {
    require_loadable(header);
  } else if (image_check::check_name(fault.check) == nullptr ||
             image_check::fault_region(fault.payload) == nullptr) {
    abort();
  }
}

}  // namespace

int fuzz_image_header(const uint8_t* data, size_t size) {
  ImageHeader header = {};
  memcpy(&header, data, size < sizeof header ? size : sizeof header);
  check_one(header);
  header.magic = layout::IMAGE_MAGIC;
  header.version = uint16_t(layout::IMAGE_VERSION);
  header.payload_count = uint16_t(layout::PAYLOAD_COUNT);
  header.header_crc32 = crc32c(&header, offsetof(ImageHeader, header_crc32));
  check_one(header);
  return 0;
}
