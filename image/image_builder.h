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

#include "image_check.h"
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

// Where and how big one payload may be: the header check's limits
// (image_check.h), with the name used in messages.
struct PayloadSpec {
  const char* name;  // as in PayloadEntry::name and in messages
  uint32_t index;    // layout::PAYLOAD_*
  uint32_t load_addr;
  uint32_t max_bytes;  // stage2's real-mode part holds the header to the same
  const char* limit;   // why max_bytes, for the error message
};
inline constexpr PayloadSpec kPayloadSpecs[layout::PAYLOAD_COUNT] = {
    {layout::PAYLOAD_NAMES[layout::PAYLOAD_STAGE2], layout::PAYLOAD_STAGE2,
     image_check::kPayloadLimits[layout::PAYLOAD_STAGE2].load_addr,
     image_check::kPayloadLimits[layout::PAYLOAD_STAGE2].max_bytes,
     "stage2 and the spare copy of its first sector must fit 0x8000..0xFE00, which stage1 reads "
     "in one run"},
    {layout::PAYLOAD_NAMES[layout::PAYLOAD_VMM], layout::PAYLOAD_VMM,
     image_check::kPayloadLimits[layout::PAYLOAD_VMM].load_addr,
     image_check::kPayloadLimits[layout::PAYLOAD_VMM].max_bytes,
     "stage2 reads the VMM into its staging area at 0x20000..0x80000 (384 KiB, below the EBDA "
     "and the BIOS) before moving it above 1 MiB"},
    {layout::PAYLOAD_NAMES[layout::PAYLOAD_GUEST], layout::PAYLOAD_GUEST,
     image_check::kPayloadLimits[layout::PAYLOAD_GUEST].load_addr,
     image_check::kPayloadLimits[layout::PAYLOAD_GUEST].max_bytes,
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
  bool operator==(const Chs&) const = default;
};

// One 16-byte partition entry, decoded.
struct PartitionEntry {
  uint8_t boot_flag;
  uint8_t type;
  Chs first_chs;
  Chs last_chs;
  uint32_t first_lba;
  uint32_t sectors;
  bool operator==(const PartitionEntry&) const = default;
};

struct BuiltImage {
  std::vector<uint8_t> bytes;  // the whole image, disk_sectors * 512 bytes
  layout::ImageHeader header;  // as written at LBA 1
  uint32_t payload_end_lba;    // first sector after the guest
  uint32_t stage2_rest_sum32;  // in stage2's first sector (STAGE2_REST_SUM_OFFSET)
};

struct BuildResult {
  std::string error;  // empty on success; otherwise names the bad input
  BuiltImage image;
  bool ok() const { return error.empty(); }
};

BuildResult build_image(const ImageInputs& inputs);

// The partition table mkimage writes for a disk of `disk_sectors`: one
// active entry of type 0xDA from the header to the end, three empty ones.
struct PartitionTable {
  PartitionEntry entries[4];
};
PartitionTable image_partition_table(uint32_t disk_sectors);

// Between a table and its 64 bytes at kPartitionTableOffset.
void encode_partition_table(const PartitionTable& table, uint8_t* bytes);
PartitionTable decode_partition_table(const uint8_t* bytes);

// The disk signature mkimage writes at kDiskSignatureOffset: a CRC-32C of
// the MBR's bytes before it and of the header (so it changes with the
// content, yet a rebuild from the same inputs is byte-identical). The MBR
// holds no CRC of its own: this is what shows damage to the boot code.
uint32_t disk_signature(const uint8_t* mbr, const layout::ImageHeader& header);

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
