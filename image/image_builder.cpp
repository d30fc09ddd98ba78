#include "image_builder.h"

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdio>
#include <cstring>

#include "guest_header.h"
#include "common/crc32c.h"
#include "layout.h"

namespace image {
namespace {

using layout::SECTOR_SIZE;

// The header is copied to disk as the host lays it out, which is the on-disk
// (little-endian, x86) layout only on a little-endian host.
static_assert(std::endian::native == std::endian::little);
static_assert(layout::STAGE2_MAX_BYTES % SECTOR_SIZE == 0 &&
              layout::VMM_MAX_BYTES % SECTOR_SIZE == 0 &&
              layout::GUEST_MAX_BYTES % SECTOR_SIZE == 0);
static_assert(kPartitionTableOffset + 4 * kPartitionEntryBytes == kBootSignatureOffset);
// Payloads at their limits (stage2 twice: its spare) still end within a
// 1.44 MB floppy, so every image mkimage accepts boots as one.
static_assert(layout::STAGE2_LBA + 2 * layout::STAGE2_MAX_SECTORS +
                  layout::VMM_MAX_FILE_BYTES / SECTOR_SIZE +
                  layout::GUEST_MAX_BYTES / SECTOR_SIZE <=
              kFloppySectors);

// Used only if the content-derived signature comes out as zero, which some
// BIOSes and OSes treat as "no signature".
constexpr uint32_t kFallbackDiskSignature = 0x42584D56;  // "VMXB"

uint32_t sectors_for(size_t bytes) {
  return uint32_t((bytes + SECTOR_SIZE - 1) / SECTOR_SIZE);
}

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", value);
  return text;
}

void put_le16(uint8_t* out, uint16_t value) {
  out[0] = uint8_t(value);
  out[1] = uint8_t(value >> 8);
}

void put_le32(uint8_t* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = uint8_t(value >> (8 * i));
}

uint32_t get_le32(const uint8_t* in) {
  return uint32_t(in[0]) | (uint32_t(in[1]) << 8) | (uint32_t(in[2]) << 16) |
         (uint32_t(in[3]) << 24);
}

// Partition-entry CHS: head; sector in bits 5:0 with cylinder bits 9:8 in
// bits 7:6; cylinder bits 7:0.
void put_chs(uint8_t* out, Chs chs) {
  out[0] = chs.head;
  out[1] = uint8_t((chs.sector & 0x3F) | ((chs.cylinder >> 2) & 0xC0));
  out[2] = uint8_t(chs.cylinder & 0xFF);
}

Chs get_chs(const uint8_t* in) {
  return {uint16_t(in[2] | ((in[1] & 0xC0) << 2)), in[0], uint8_t(in[1] & 0x3F)};
}

std::string check_stage1(const InputFile& stage1) {
  const std::string name = "stage1 '" + stage1.path + "'";
  const auto& bytes = stage1.bytes;
  if (bytes.size() != SECTOR_SIZE) {
    return name + " is " + std::to_string(bytes.size()) +
           " bytes; the MBR must be exactly 512";
  }
  if (bytes[kBootSignatureOffset] != 0x55 || bytes[kBootSignatureOffset + 1] != 0xAA) {
    return name + " does not end with the boot signature 0x55 0xAA";
  }
  for (uint32_t offset = layout::MBR_LOAD_SECTORS_OFFSET; offset < kBootSignatureOffset;
       ++offset) {
    if (bytes[offset] != 0) {
      char where[80];
      std::snprintf(where, sizeof where,
                    " has byte 0x%02X at offset 0x%03X: 0x%03X..0x1FD must be zero",
                    bytes[offset], unsigned(offset), unsigned(layout::MBR_LOAD_SECTORS_OFFSET));
      return name + where +
             " (mkimage writes the load count, disk signature and partition table there)";
    }
  }
  return {};
}

std::string check_payload(const PayloadSpec& spec, const InputFile& input) {
  const size_t size = input.bytes.size();
  if (size == 0) return payload_error(spec, input.path, "is empty");
  if (size > spec.max_bytes) {
    return payload_error(spec, input.path,
                         "is " + std::to_string(size) + " bytes, more than " +
                             std::to_string(spec.max_bytes) + ": " + spec.limit);
  }
  if (spec.index == layout::PAYLOAD_STAGE2) {
    if (size < layout::STAGE2_REST_SUM_OFFSET + 4) {
      return payload_error(spec, input.path,
                           "is " + std::to_string(size) +
                               " bytes, too short to hold the stage2 magic at offset 4, the sum "
                               "adjustment at 8, its sector count at 12 and its rest's sum at 16");
    }
    uint32_t magic = 0;
    for (int i = 3; i >= 0; --i) magic = (magic << 8) | input.bytes[layout::STAGE2_MAGIC_OFFSET + i];
    if (magic != layout::STAGE2_MAGIC) {
      return payload_error(spec, input.path,
                           "has " + hex32(magic) + " at offset 4, not the stage2 magic " +
                               hex32(layout::STAGE2_MAGIC) + " (\"VMS2\")");
    }
  }
  return {};
}

}  // namespace

std::string payload_error(const PayloadSpec& spec, const std::string& path,
                          const std::string& what) {
  return std::string(spec.name) + " payload '" + path + "' " + what + " (loads at " +
         hex32(spec.load_addr) + ", limit " + std::to_string(spec.max_bytes) + " bytes)";
}

Chs lba_to_chs(uint32_t lba) {
  // Past the last CHS-addressable sector an entry holds the largest address
  // instead (the usual 1023/254/63, here with our 16 heads: 1023/15/63); the
  // LBA fields are then the only truth.
  constexpr uint32_t kMaxCylinder = 1023;
  if (lba / kCylinderSectors > kMaxCylinder) {
    return {uint16_t(kMaxCylinder), uint8_t(kHeads - 1), uint8_t(kSectorsPerTrack)};
  }
  return {uint16_t(lba / kCylinderSectors), uint8_t(lba / kSectorsPerTrack % kHeads),
          uint8_t(lba % kSectorsPerTrack + 1)};
}

uint32_t sum32(const uint8_t* bytes, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 4 <= len; i += 4) {
    sum += uint32_t(bytes[i]) | (uint32_t(bytes[i + 1]) << 8) |
           (uint32_t(bytes[i + 2]) << 16) | (uint32_t(bytes[i + 3]) << 24);
  }
  return sum;
}

namespace {

// A fault-injection case needs the binaries built for it: only the injection
// build of the VMM has the hooks that act on the header's case (its marker
// text, abi/layout.h), and a guest case runs only in the guest assembled
// for it (its header's inject field, guest/inject_cases.asm). Any other
// pairing would boot and quietly run no case, or the wrong one.
std::string check_injection_binaries(const ImageInputs& inputs) {
  const char* name = layout::inject_name(inputs.inject);
  const std::string option = std::string("--inject ") + (name != nullptr ? name : "?");
  const std::vector<uint8_t>& vmm = inputs.payloads[layout::PAYLOAD_VMM].bytes;
  const std::string marker = VMXBOOT_INJECTION_VMM_MARKER;
  if (inputs.inject != layout::INJECT_NONE &&
      std::search(vmm.begin(), vmm.end(), marker.begin(), marker.end()) == vmm.end()) {
    return option + ": the VMM has no fault-injection hooks: give the injection build's "
                    "(build/inject/vmm.bin, `make inject-build`)";
  }
  const std::vector<uint8_t>& guest = inputs.payloads[layout::PAYLOAD_GUEST].bytes;
  // (A guest without the header's magic is the VMM's to refuse at boot.)
  const size_t at = offsetof(layout::GuestHeader, inject);
  const bool has_header = guest.size() >= sizeof(layout::GuestHeader) &&
                          (guest[0] | guest[1] << 8 | guest[2] << 16 | uint32_t(guest[3]) << 24) ==
                              layout::GUEST_MAGIC;
  const uint16_t built_for = has_header ? uint16_t(guest[at] | guest[at + 1] << 8) : 0;
  const bool guest_case = name != nullptr && std::strncmp(name, "guest-", 6) == 0;
  if ((has_header || guest_case) &&
      built_for != (guest_case ? inputs.inject : layout::INJECT_NONE)) {
    const char* built_name = layout::inject_name(built_for);
    const std::string built =
        built_for == layout::INJECT_NONE
            ? std::string("no case")
            : "case " + std::string(built_name != nullptr ? built_name : "?");
    const std::string give =
        guest_case ? "build/inject/" + std::string(name) + ".bin" : std::string("build/guest.bin");
    return option + ": the guest was built for " + built + "; give " + give;
  }
  return "";
}

}  // namespace

BuildResult build_image(const ImageInputs& inputs) {
  BuildResult result;
  if (std::string error = check_stage1(inputs.stage1); !error.empty()) {
    result.error = error;
    return result;
  }
  for (const PayloadSpec& spec : kPayloadSpecs) {
    if (std::string error = check_payload(spec, inputs.payloads[spec.index]); !error.empty()) {
      result.error = error;
      return result;
    }
  }

  BuiltImage& image = result.image;
  layout::ImageHeader& header = image.header;
  header = {};
  header.magic = layout::IMAGE_MAGIC;
  header.version = uint16_t(layout::IMAGE_VERSION);
  header.payload_count = uint16_t(layout::PAYLOAD_COUNT);
  header.end_wait_seconds = inputs.end_wait_seconds;
  header.inject = inputs.inject;

  // stage2 as it goes to disk, zero padded to whole sectors: its first
  // sector carries stage2's sector count and the sum of the other sectors
  // (its own check of them, abi/layout.h), and the dword that makes its
  // dwords sum to the magic (stage1's check), all before its CRC is taken.
  std::vector<uint8_t> stage2_bytes = inputs.payloads[layout::PAYLOAD_STAGE2].bytes;
  const uint32_t stage2_sectors = sectors_for(stage2_bytes.size());
  std::vector<uint8_t> stage2_padded = stage2_bytes;
  stage2_padded.resize(size_t(stage2_sectors) * SECTOR_SIZE, 0);
  image.stage2_rest_sum32 =
      sum32(stage2_padded.data() + SECTOR_SIZE, stage2_padded.size() - SECTOR_SIZE);
  put_le32(stage2_bytes.data() + layout::STAGE2_SECTORS_OFFSET, stage2_sectors);
  put_le32(stage2_bytes.data() + layout::STAGE2_REST_SUM_OFFSET, image.stage2_rest_sum32);
  put_le32(stage2_bytes.data() + layout::STAGE2_SUM_ADJUST_OFFSET, 0);
  uint8_t first_sector[SECTOR_SIZE] = {};  // as on disk: zero-padded
  std::memcpy(first_sector, stage2_bytes.data(), std::min<size_t>(stage2_bytes.size(), SECTOR_SIZE));
  put_le32(stage2_bytes.data() + layout::STAGE2_SUM_ADJUST_OFFSET,
           layout::STAGE2_MAGIC - sum32(first_sector, SECTOR_SIZE));
  // Each payload's bytes as they go to disk.
  const std::vector<uint8_t>* payload_bytes[layout::PAYLOAD_COUNT];
  for (const PayloadSpec& spec : kPayloadSpecs) {
    payload_bytes[spec.index] = &inputs.payloads[spec.index].bytes;
  }
  payload_bytes[layout::PAYLOAD_STAGE2] = &stage2_bytes;
  if (std::string error = check_injection_binaries(inputs); !error.empty()) {
    result.error = error;
    return result;
  }
  // The guest as it goes to disk: with its header damaged for the injection
  // cases that ask for it (abi/guest_header.h), before its CRC is taken.
  std::vector<uint8_t> guest_bytes = inputs.payloads[layout::PAYLOAD_GUEST].bytes;
  if (const auto* damage = layout::find_guest_header_injection(inputs.inject)) {
    if (guest_bytes.size() < damage->offset + 4) {
      result.error = "--inject " + std::string(layout::inject_name(inputs.inject)) +
                     ": the guest is too short to hold its header's " + damage->field;
      return result;
    }
    put_le32(guest_bytes.data() + damage->offset, damage->value);
  }
  payload_bytes[layout::PAYLOAD_GUEST] = &guest_bytes;

  uint32_t next_lba = layout::HEADER_LBA + 1;
  for (const PayloadSpec& spec : kPayloadSpecs) {
    const std::vector<uint8_t>& bytes = *payload_bytes[spec.index];
    layout::PayloadEntry& entry = header.payloads[spec.index];
    std::strncpy(entry.name, spec.name, sizeof entry.name);
    entry.first_lba = next_lba;
    entry.sectors = sectors_for(bytes.size());
    entry.load_addr = spec.load_addr;
    entry.size = uint32_t(bytes.size());
    entry.crc32 = crc32c(bytes.data(), bytes.size());
    next_lba += entry.sectors;
    if (spec.index == layout::PAYLOAD_STAGE2) next_lba += entry.sectors;  // its spare copy
  }
  image.payload_end_lba = next_lba;

  // Whole cylinders: Bochs 2.7 takes a flat image's geometry as 16 heads x
  // 63 sectors and cylinders = size / (16 * 63 * 512), rounded down. The
  // sectors of a last partial cylinder are "outside of CHS address range" (a
  // CHS reader cannot reach them) and an image under one cylinder gets zero
  // cylinders: so round up. At least one cylinder, hence 516096 bytes.
  const uint32_t disk_sectors =
      (image.payload_end_lba + kCylinderSectors - 1) / kCylinderSectors * kCylinderSectors;
  header.disk_sectors = disk_sectors;
  image.bytes.assign(size_t(disk_sectors) * SECTOR_SIZE, 0);
  uint8_t* disk = image.bytes.data();

  for (const PayloadSpec& spec : kPayloadSpecs) {
    const std::vector<uint8_t>& bytes = *payload_bytes[spec.index];
    std::memcpy(disk + size_t(header.payloads[spec.index].first_lba) * SECTOR_SIZE,
                bytes.data(), bytes.size());
  }
  const layout::PayloadEntry& stage2 = header.payloads[layout::PAYLOAD_STAGE2];
  const uint8_t* stage2_on_disk = disk + size_t(stage2.first_lba) * SECTOR_SIZE;
  std::memcpy(disk + size_t(layout::stage2_spare_lba(stage2.sectors)) * SECTOR_SIZE,
              stage2_on_disk, size_t(stage2.sectors) * SECTOR_SIZE);
  header.header_crc32 = crc32c(&header, offsetof(layout::ImageHeader, header_crc32));
  uint8_t* header_sector = disk + size_t(layout::HEADER_LBA) * SECTOR_SIZE;
  std::memcpy(header_sector, &header, sizeof header);

  // MBR: stage1, the load count, the disk signature, the partition table.
  std::memcpy(disk, inputs.stage1.bytes.data(), SECTOR_SIZE);
  // stage1 reads the header, stage2 and the spare's first sector behind it in
  // one read of this many sectors.
  put_le16(disk + layout::MBR_LOAD_SECTORS_OFFSET, uint16_t(1 + stage2.sectors + 1));
  put_le32(disk + kDiskSignatureOffset, disk_signature(disk, header));
  encode_partition_table(image_partition_table(disk_sectors), disk + kPartitionTableOffset);
  return result;
}

uint32_t disk_signature(const uint8_t* mbr, const layout::ImageHeader& header) {
  // (Not over the whole header sector: a CRC run over a message followed by
  // its own CRC always ends in the same value.)
  const uint32_t signature = crc32c_update(crc32c(mbr, kDiskSignatureOffset), &header,
                                           offsetof(layout::ImageHeader, header_crc32));
  return signature != 0 ? signature : kFallbackDiskSignature;
}

PartitionTable image_partition_table(uint32_t disk_sectors) {
  // One active entry with a non-zero type: several BIOSes list a USB stick as
  // bootable only then. It starts at the header and runs to the image's end.
  PartitionTable table = {};
  PartitionEntry& partition = table.entries[0];
  partition.boot_flag = kBootFlagActive;
  partition.type = kPartitionTypeNonFsData;
  partition.first_lba = layout::HEADER_LBA;
  partition.sectors = disk_sectors - partition.first_lba;
  partition.first_chs = lba_to_chs(partition.first_lba);
  partition.last_chs = lba_to_chs(partition.first_lba + partition.sectors - 1);
  return table;
}

void encode_partition_table(const PartitionTable& table, uint8_t* bytes) {
  for (const PartitionEntry& partition : table.entries) {
    bytes[0] = partition.boot_flag;
    put_chs(bytes + 1, partition.first_chs);
    bytes[4] = partition.type;
    put_chs(bytes + 5, partition.last_chs);
    put_le32(bytes + 8, partition.first_lba);
    put_le32(bytes + 12, partition.sectors);
    bytes += kPartitionEntryBytes;
  }
}

PartitionTable decode_partition_table(const uint8_t* bytes) {
  PartitionTable table;
  for (PartitionEntry& partition : table.entries) {
    partition = {bytes[0], bytes[4], get_chs(bytes + 1), get_chs(bytes + 5), get_le32(bytes + 8),
                 get_le32(bytes + 12)};
    bytes += kPartitionEntryBytes;
  }
  return table;
}

}  // namespace image
