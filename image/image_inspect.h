// Reads a vmxboot disk back — an image file, a USB stick, or bytes in
// memory — and runs on it every check the boot chain runs (and the few only
// mkimage's output passes: the MBR's disk signature and partition table):
// the MBR, the header (image_check.h, the code stage2 runs), stage2's dword
// sums and its spare copy, each payload's CRC-32C, the disk's size, and the
// VMM's check of the guest's header (vmm/guests/guest_header_check.h): mkimage
// refuses a guest the VMM would refuse, unless the image is built for a
// fault-injection case that wants exactly that. The one way mkimage, `make image`,
// `make inspect` and `make usb` show a layout.
#pragma once

#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "image_builder.h"
#include "layout.h"

namespace image {

// Where the disk's bytes come from.
class DiskSource {
 public:
  virtual ~DiskSource() = default;
  virtual uint64_t size_bytes() const = 0;
  // Reads `len` bytes at `offset` (the caller keeps them inside
  // size_bytes()). Returns "" or why not.
  virtual std::string read(uint64_t offset, size_t len, uint8_t* out) const = 0;
};

// Over bytes in memory (mkimage's image before it is written; the tests).
class MemoryDisk : public DiskSource {
 public:
  explicit MemoryDisk(const std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  uint64_t size_bytes() const override { return bytes_.size(); }
  std::string read(uint64_t offset, size_t len, uint8_t* out) const override;

 private:
  const std::vector<uint8_t>& bytes_;
};

// A regular file or a block device, opened O_RDONLY: inspecting never writes.
// nullptr and `error` set when it cannot be opened or sized.
std::unique_ptr<DiskSource> open_disk(const std::string& path, std::string& error);

// One row of the layout table.
struct Region {
  std::string name;
  uint32_t first_lba;
  uint32_t sectors;
  uint64_t bytes;       // bytes that matter (payload size, header struct size)
  uint32_t load_addr;   // 0: none
  bool has_crc32;
  uint32_t crc32;       // as computed from the disk
  bool ok;              // every check of this region passed
};

struct DiskReport {
  uint64_t disk_sectors = 0;   // of the file or device (a stick may be larger)
  bool has_mbr = false;
  uint16_t load_sectors = 0;   // stage1's read count at MBR_LOAD_SECTORS_OFFSET
  uint32_t disk_signature = 0;
  PartitionTable partitions = {};
  bool header_trusted = false;  // it passed image_check::check_header
  layout::ImageHeader header = {};
  // stage2's dword sums as stage1 and stage2's first sector compute them.
  uint32_t stage2_first_sum = 0, stage2_rest_sum = 0;
  uint32_t stage2_stored_rest_sum = 0;  // what stage2's first sector says the rest sums to
  uint32_t spare_first_sum = 0, spare_rest_sum = 0;
  std::vector<Region> regions;
  // The guest payload's header as the VMM will judge it ("" until read):
  // "chain loader, entry ..." or "V86 demo, entry ..." (a refused one is
  // an error: "guest: header field ...").
  std::string guest_header;
  // Each names its region first: "vmm: CRC-32C 0x... expected 0x...".
  std::vector<std::string> errors;
  bool ok() const { return errors.empty(); }
};

DiskReport inspect_disk(const DiskSource& disk);

// The layout as `make image` and `make inspect` print it: regions, stage2's
// sums, the MBR and partition table, the header's options. The errors are
// not in it (the tools print them on stderr).
std::string format_report(const DiskReport& report);

}  // namespace image
