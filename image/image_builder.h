// Builds the vmxboot disk image in memory from the bytes of its parts:
//   LBA 0      stage1 (the MBR) + disk signature + one partition entry
//   LBA 1      layout::ImageHeader, rest of the sector zero
//   LBA 2..    stage2, then the VMM, then the guest, each from a sector
//              boundary and zero padded
//   ..end      zeros up to a whole number of 16-head x 63-sector cylinders
// No file I/O here (see image_file.h): the caller hands in what it read.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "layout.h"

namespace image {

inline constexpr uint16_t kDefaultEndWaitSeconds = 15;

// The disk geometry the image is sized for and its partition entry is encoded
// in: the one Bochs assumes for a flat image file (see kCylinderSectors).
inline constexpr uint32_t kHeads = 16;
inline constexpr uint32_t kSectorsPerTrack = 63;
inline constexpr uint32_t kCylinderSectors = kHeads * kSectorsPerTrack;
// A 1.44 MB floppy: every image's payloads end within it (image_builder.cpp
// asserts it from the payload limits), so each can be written to one (or to
// a USB stick a BIOS emulates as one).
inline constexpr uint32_t kFloppySectors = 2880;

// MBR fields (offsets in sector 0).
inline constexpr uint32_t kDiskSignatureOffset = 0x1B8;  // 4 bytes + 2 zero bytes
inline constexpr uint32_t kPartitionTableOffset = 0x1BE;  // 4 entries of 16 bytes
inline constexpr uint32_t kPartitionEntryBytes = 16;
inline constexpr uint32_t kBootSignatureOffset = 0x1FE;  // 0x55 0xAA
inline constexpr uint8_t kBootFlagActive = 0x80;
// "Non-FS data": the partition holds our own format, which no OS should mount.
inline constexpr uint8_t kPartitionTypeNonFsData = 0xDA;

// Where and how big one payload may be, straight from layout.h.
struct PayloadSpec {
  const char* name;  // as in PayloadEntry::name and in messages
  uint32_t index;    // layout::PAYLOAD_*
  uint32_t load_addr;
  uint32_t max_bytes;  // stage2's real-mode part holds the header to the same
  const char* limit;   // why max_bytes, for the error message
};
inline constexpr PayloadSpec kPayloadSpecs[layout::PAYLOAD_COUNT] = {
    // (stage2's window also holds its spare copy's first sector: stage1
    // reads that with it.)
    {layout::PAYLOAD_NAMES[layout::PAYLOAD_STAGE2], layout::PAYLOAD_STAGE2, layout::STAGE2_ADDR,
     layout::STAGE2_MAX_SECTORS * layout::SECTOR_SIZE,
     "stage2 and the spare copy of its first sector must fit 0x8000..0xFE00, which stage1 reads "
     "in one run"},
    {layout::PAYLOAD_NAMES[layout::PAYLOAD_VMM], layout::PAYLOAD_VMM, layout::VMM_ADDR,
     layout::VMM_MAX_FILE_BYTES,
     "stage2 reads the VMM into its staging area at 0x20000..0x80000 (384 KiB, below the EBDA "
     "and the BIOS) before moving it above 1 MiB"},
    {layout::PAYLOAD_NAMES[layout::PAYLOAD_GUEST], layout::PAYLOAD_GUEST, layout::GUEST_ADDR,
     layout::GUEST_MAX_BYTES,
     "the guest must fit 0x10000..0x20000, between stage2 and the staging area"},
};

// One input: its bytes, and the path it came from (only to name it in errors).
struct InputFile {
  std::string path;
  std::vector<uint8_t> bytes;
};

struct ImageInputs {
  InputFile stage1;
  InputFile payloads[layout::PAYLOAD_COUNT];  // indexed by layout::PAYLOAD_*
  uint16_t end_wait_seconds = kDefaultEndWaitSeconds;
  uint16_t inject = 0;
};

struct Chs {
  uint16_t cylinder;
  uint8_t head;
  uint8_t sector;  // 1-based
};

// The partition entry as written into the MBR.
struct PartitionEntry {
  uint8_t boot_flag;
  uint8_t type;
  Chs first_chs;
  Chs last_chs;
  uint32_t first_lba;
  uint32_t sectors;
};

// One row of the layout table mkimage prints.
struct Region {
  std::string name;
  uint32_t first_lba;
  uint32_t sectors;
  uint32_t bytes;  // bytes that matter (payload size, header struct size)
  bool has_load_addr;
  uint32_t load_addr;
  bool has_crc32;
  uint32_t crc32;
};

struct BuiltImage {
  std::vector<uint8_t> bytes;  // the whole image, disk_sectors * 512 bytes
  layout::ImageHeader header;  // as written at LBA 1
  PartitionEntry partition;
  uint32_t disk_signature;
  uint32_t payload_end_lba;  // first sector after the guest
  uint32_t stage2_rest_sum32;  // in stage2's first sector (STAGE2_REST_SUM_OFFSET)
  std::vector<Region> regions;
  std::vector<std::string> warnings;
};

struct BuildResult {
  std::string error;  // empty on success; otherwise names the bad input
  BuiltImage image;
  bool ok() const { return error.empty(); }
};

BuildResult build_image(const ImageInputs& inputs);

// The text mkimage prints on success: regions, partition table, total size.
std::string format_layout(const BuiltImage& image);

// "<name> payload '<path>' <what> (loads at 0x..., limit N bytes)": the one
// way a payload problem is reported, also for files that cannot be read.
std::string payload_error(const PayloadSpec& spec, const std::string& path,
                          const std::string& what);

// CHS address of `lba` in the 16-head, 63-sector geometry; addresses beyond
// cylinder 1023 saturate to 1023/15/63 (see the .cpp).
Chs lba_to_chs(uint32_t lba);

// Sum of the little-endian dwords of `bytes` (a whole number of sectors),
// wrapping at 32 bits: stage1's check of stage2.
uint32_t sum32(const uint8_t* bytes, size_t len);

}  // namespace image
