#include "image_builder.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "guest_header.h"
#include "image_file.h"
#include "layout.h"
#include "common/crc32c.h"
#include "sample_guest_header.h"

namespace {

using image::build_image;
using image::BuildResult;
using image::ImageInputs;
using layout::PAYLOAD_GUEST;
using layout::PAYLOAD_STAGE2;
using layout::PAYLOAD_VMM;
using layout::SECTOR_SIZE;

constexpr uint32_t kSector = SECTOR_SIZE;

uint32_t read_le32(const std::vector<uint8_t>& bytes, size_t offset) {
  return uint32_t(bytes[offset]) | (uint32_t(bytes[offset + 1]) << 8) |
         (uint32_t(bytes[offset + 2]) << 16) | (uint32_t(bytes[offset + 3]) << 24);
}
uint16_t read_le16(const std::vector<uint8_t>& bytes, size_t offset) {
  return uint16_t(bytes[offset] | (bytes[offset + 1] << 8));
}

// Bytes that are never zero, so misplaced or truncated copies show.
std::vector<uint8_t> filler(size_t count, uint8_t seed) {
  std::vector<uint8_t> bytes(count);
  for (size_t i = 0; i < count; ++i) bytes[i] = uint8_t(1 + (seed + i * 7) % 251);
  return bytes;
}

std::vector<uint8_t> valid_stage1() {
  std::vector<uint8_t> bytes(kSector, 0);
  for (size_t i = 0; i < layout::MBR_LOAD_SECTORS_OFFSET; ++i) bytes[i] = uint8_t(0x90 + i % 3);
  bytes[510] = 0x55;
  bytes[511] = 0xAA;
  return bytes;
}

std::vector<uint8_t> valid_stage2(size_t size) {
  std::vector<uint8_t> bytes = filler(size, 3);
  const uint8_t magic[4] = {'V', 'M', 'S', '2'};
  std::memcpy(bytes.data() + 4, magic, 4);
  return bytes;
}

// A guest whose header the VMM accepts (mkimage checks it: image_inspect),
// the rest filler: 0x1004 bytes, as its header says.
std::vector<uint8_t> valid_guest() {
  std::vector<uint8_t> bytes = filler(0x1004, 9);
  const layout::GuestHeader h = sample_guest_header();
  std::memcpy(bytes.data(), &h, sizeof h);
  return bytes;
}

// Sizes chosen so that no payload fills its last sector (stage2 not even its
// last dword, so the sum must include padding zeros).
ImageInputs valid_inputs() {
  ImageInputs inputs;
  inputs.stage1 = {"in/stage1.bin", valid_stage1()};
  inputs.payloads[PAYLOAD_STAGE2] = {"in/stage2.bin", valid_stage2(3 * kSector + 101)};
  inputs.payloads[PAYLOAD_VMM] = {"in/vmm.bin", filler(20 * kSector + 1, 5)};
  inputs.payloads[PAYLOAD_GUEST] = {"in/guest.bin", valid_guest()};
  return inputs;
}

uint32_t sectors_for(size_t bytes) { return uint32_t((bytes + kSector - 1) / kSector); }

// ---- layout ------------------------------------------------------------

TEST(ImageBuilder, PayloadsFollowTheHeaderOnSectorBoundaries) {
  const ImageInputs inputs = valid_inputs();
  const BuildResult result = build_image(inputs);
  ASSERT_TRUE(result.ok()) << result.error;
  const std::vector<uint8_t>& disk = result.image.bytes;
  const size_t header = layout::HEADER_LBA * kSector;
  const size_t entries = header + offsetof(layout::ImageHeader, payloads);

  uint32_t expected_lba = 2;
  for (uint32_t index : {PAYLOAD_STAGE2, PAYLOAD_VMM, PAYLOAD_GUEST}) {
    const std::vector<uint8_t>& payload = inputs.payloads[index].bytes;
    const size_t entry = entries + index * sizeof(layout::PayloadEntry);
    const uint32_t first_lba = read_le32(disk, entry + offsetof(layout::PayloadEntry, first_lba));
    const uint32_t sectors = read_le32(disk, entry + offsetof(layout::PayloadEntry, sectors));
    EXPECT_EQ(first_lba, expected_lba) << "payload " << index;
    EXPECT_EQ(sectors, sectors_for(payload.size())) << "payload " << index;
    EXPECT_EQ(read_le32(disk, entry + offsetof(layout::PayloadEntry, size)), payload.size());
    ASSERT_LE((first_lba + sectors) * size_t(kSector), disk.size());
    const uint8_t* on_disk = disk.data() + size_t(first_lba) * kSector;
    // The input, but for the three dwords mkimage sets in stage2's first
    // sector (their own test is below).
    std::vector<uint8_t> expected = payload;
    if (index == PAYLOAD_STAGE2) {
      std::memcpy(expected.data() + layout::STAGE2_SUM_ADJUST_OFFSET,
                  on_disk + layout::STAGE2_SUM_ADJUST_OFFSET,
                  layout::STAGE2_REST_SUM_OFFSET + 4 - layout::STAGE2_SUM_ADJUST_OFFSET);
    }
    EXPECT_EQ(read_le32(disk, entry + offsetof(layout::PayloadEntry, crc32)),
              crc32c(expected.data(), expected.size()));
    EXPECT_EQ(std::memcmp(on_disk, expected.data(), expected.size()), 0) << "payload " << index;
    for (size_t i = payload.size(); i < size_t(sectors) * kSector; ++i) {
      ASSERT_EQ(on_disk[i], 0) << "padding of payload " << index << " at byte " << i;
    }
    expected_lba = first_lba + sectors;
    if (index == PAYLOAD_STAGE2) {
      // The spare copy of stage2, right behind it.
      EXPECT_EQ(std::memcmp(disk.data() + size_t(expected_lba) * kSector, on_disk,
                            size_t(sectors) * kSector),
                0);
      EXPECT_EQ(layout::stage2_spare_lba(sectors), expected_lba);
      expected_lba += sectors;
    }
  }
  EXPECT_EQ(result.image.payload_end_lba, expected_lba);
}

// The VMM of the injection build: it carries the marker mkimage looks for.
std::vector<uint8_t> injection_vmm() {
  std::vector<uint8_t> vmm = filler(20 * kSector + 1, 5);
  const std::string marker = VMXBOOT_INJECTION_VMM_MARKER;
  std::copy(marker.begin(), marker.end(), vmm.begin() + 1000);
  return vmm;
}

TEST(ImageBuilder, HeaderFieldsAsStage1AndStage2ReadThem) {
  ImageInputs inputs = valid_inputs();
  inputs.end_wait_seconds = 42;
  inputs.inject = 3;
  inputs.payloads[PAYLOAD_VMM].bytes = injection_vmm();
  const BuildResult result = build_image(inputs);
  ASSERT_TRUE(result.ok()) << result.error;
  const std::vector<uint8_t>& disk = result.image.bytes;
  const size_t h = layout::HEADER_LBA * kSector;
  using layout::ImageHeader;

  EXPECT_EQ(std::memcmp(&disk[h], "VMXBOOT", 8), 0);
  EXPECT_EQ(read_le16(disk, h + offsetof(ImageHeader, version)), layout::IMAGE_VERSION);
  EXPECT_EQ(read_le16(disk, h + offsetof(ImageHeader, payload_count)), layout::PAYLOAD_COUNT);
  EXPECT_EQ(read_le32(disk, h + offsetof(ImageHeader, disk_sectors)) * size_t(kSector),
            disk.size());
  EXPECT_EQ(read_le16(disk, h + offsetof(ImageHeader, end_wait_seconds)), 42);
  EXPECT_EQ(read_le16(disk, h + offsetof(ImageHeader, inject)), 3);

  const size_t entries = h + offsetof(ImageHeader, payloads);
  const char* names[] = {"stage2", "vmm", "guest"};
  const uint32_t load_addrs[] = {layout::STAGE2_ADDR, layout::VMM_ADDR, layout::GUEST_ADDR};
  for (uint32_t index : {PAYLOAD_STAGE2, PAYLOAD_VMM, PAYLOAD_GUEST}) {
    const size_t entry = entries + index * sizeof(layout::PayloadEntry);
    char name[9] = {};
    std::memcpy(name, &disk[entry], 8);
    EXPECT_STREQ(name, names[index]);
    EXPECT_EQ(read_le32(disk, entry + offsetof(layout::PayloadEntry, load_addr)),
              load_addrs[index]);
  }

  // Header CRC: over every byte before the field; the rest of the sector zero.
  const size_t crc_offset = offsetof(ImageHeader, header_crc32);
  EXPECT_EQ(read_le32(disk, h + crc_offset), crc32c(&disk[h], crc_offset));
  for (size_t i = sizeof(ImageHeader); i < kSector; ++i) ASSERT_EQ(disk[h + i], 0) << i;
}

TEST(ImageBuilder, DefaultEndWaitIs15AndNoInjection) {
  const BuildResult result = build_image(valid_inputs());
  ASSERT_TRUE(result.ok()) << result.error;
  const size_t h = layout::HEADER_LBA * kSector;
  EXPECT_EQ(read_le16(result.image.bytes, h + offsetof(layout::ImageHeader, end_wait_seconds)),
            15);
  EXPECT_EQ(read_le16(result.image.bytes, h + offsetof(layout::ImageHeader, inject)), 0);
}

// A case needs the injection build's VMM, and a guest case the guest built
// for it: any other pairing would boot and run no case, or another.
TEST(ImageBuilder, InjectionNeedsTheBinariesBuiltForTheCase) {
  ImageInputs inputs = valid_inputs();
  inputs.inject = layout::INJECT_BAD_REVISION;
  BuildResult result = build_image(inputs);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("--inject bad-revision: the VMM has no fault-injection hooks"),
            std::string::npos) << result.error;
  inputs.payloads[PAYLOAD_VMM].bytes = injection_vmm();
  EXPECT_TRUE(build_image(inputs).ok());

  // A guest with its header: built for no case, or for guest-spin.
  std::vector<uint8_t> guest(sizeof(layout::GuestHeader) + 16, 0);
  const uint32_t magic = layout::GUEST_MAGIC;
  std::memcpy(guest.data(), &magic, 4);
  inputs.payloads[PAYLOAD_GUEST].bytes = guest;
  inputs.inject = layout::INJECT_GUEST_SPIN;
  result = build_image(inputs);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("--inject guest-spin: the guest was built for no case; give "
                              "build/inject/guest-spin.bin"), std::string::npos) << result.error;
  const uint16_t spin = layout::INJECT_GUEST_SPIN;
  std::memcpy(guest.data() + offsetof(layout::GuestHeader, inject), &spin, 2);
  inputs.payloads[PAYLOAD_GUEST].bytes = guest;
  EXPECT_TRUE(build_image(inputs).ok()) << build_image(inputs).error;
  inputs.inject = layout::INJECT_NONE;
  inputs.payloads[PAYLOAD_VMM].bytes = filler(20 * kSector + 1, 5);
  result = build_image(inputs);
  EXPECT_FALSE(result.ok());
  EXPECT_NE(result.error.find("--inject none: the guest was built for case guest-spin; give "
                              "build/guest.bin"), std::string::npos) << result.error;
}

// stage2 refuses a header whose fault-injection case no table lists, by the
// numbers alone (layout::inject_known): the same set as the named cases.
TEST(ImageBuilder, InjectKnownIsExactlyTheNamedCases) {
  for (uint32_t number = 0; number <= 0xFFFF; ++number) {
    EXPECT_EQ(layout::inject_known(uint16_t(number)),
              layout::inject_name(uint16_t(number)) != nullptr)
        << number;
  }
  EXPECT_TRUE(layout::inject_known(layout::INJECT_NONE));
  EXPECT_FALSE(layout::inject_known(0xFFFF));
}

TEST(ImageBuilder, Stage2FirstSectorCarriesItsCountAndRestSumAndSumsToTheMagic) {
  const ImageInputs inputs = valid_inputs();
  const std::vector<uint8_t>& stage2 = inputs.payloads[PAYLOAD_STAGE2].bytes;
  ASSERT_NE(read_le32(stage2, layout::STAGE2_SUM_ADJUST_OFFSET), 0u);  // overwritten, not added to
  std::vector<uint8_t> padded = stage2;
  padded.resize(sectors_for(stage2.size()) * size_t(kSector), 0);
  uint32_t rest = 0;
  for (size_t i = kSector; i < padded.size(); i += 4) rest += read_le32(padded, i);

  const BuildResult result = build_image(inputs);
  ASSERT_TRUE(result.ok()) << result.error;
  const std::vector<uint8_t>& disk = result.image.bytes;
  const layout::ImageHeader& header = result.image.header;
  const uint32_t sectors = sectors_for(stage2.size());
  EXPECT_EQ(header.payloads[PAYLOAD_STAGE2].first_lba, layout::STAGE2_LBA);
  for (uint32_t lba : {layout::STAGE2_LBA, layout::stage2_spare_lba(sectors)}) {
    const size_t at = size_t(lba) * kSector;
    // What stage1 checks, over the first sector and over its spare.
    EXPECT_EQ(image::sum32(&disk[at], kSector), layout::STAGE2_MAGIC) << "sector " << lba;
    // What that sector checks the rest with: its own count and sum.
    EXPECT_EQ(read_le32(disk, at + layout::STAGE2_SECTORS_OFFSET), sectors) << "sector " << lba;
    EXPECT_EQ(read_le32(disk, at + layout::STAGE2_REST_SUM_OFFSET), rest) << "sector " << lba;
    EXPECT_EQ(image::sum32(&disk[at + kSector], size_t(sectors - 1) * kSector), rest);
  }
  EXPECT_EQ(header.payloads[PAYLOAD_STAGE2].sectors, sectors);
  EXPECT_EQ(result.image.stage2_rest_sum32, rest);
}

TEST(ImageBuilder, Stage2SmallerThanASectorStillSumsToTheMagic) {
  ImageInputs inputs = valid_inputs();
  inputs.payloads[PAYLOAD_STAGE2].bytes = valid_stage2(101);  // not even whole dwords
  const BuildResult result = build_image(inputs);
  ASSERT_TRUE(result.ok()) << result.error;
  const layout::ImageHeader& header = result.image.header;
  EXPECT_EQ(header.payloads[PAYLOAD_STAGE2].sectors, 1u);
  EXPECT_EQ(layout::stage2_spare_lba(1), header.payloads[PAYLOAD_STAGE2].first_lba + 1);
  EXPECT_EQ(image::sum32(&result.image.bytes[size_t(layout::stage2_spare_lba(1)) * kSector],
                         kSector),
            layout::STAGE2_MAGIC);
}

TEST(ImageBuilder, Sum32WrapsAt32Bits) {
  const uint8_t bytes[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x00, 0x00, 0x00};
  EXPECT_EQ(image::sum32(bytes, 8), 1u);
  EXPECT_EQ(image::sum32(bytes, 4), 0xFFFFFFFFu);
}

TEST(ImageBuilder, ImageIsWholeCylindersAndTheTailIsZero) {
  const BuildResult result = build_image(valid_inputs());
  ASSERT_TRUE(result.ok()) << result.error;
  const std::vector<uint8_t>& disk = result.image.bytes;
  EXPECT_EQ(disk.size() % (16 * 63 * kSector), 0u);
  EXPECT_EQ(disk.size(), 16 * 63 * kSector);  // these payloads fit in one cylinder
  for (size_t i = result.image.payload_end_lba * size_t(kSector); i < disk.size(); ++i) {
    ASSERT_EQ(disk[i], 0) << "byte " << i;
  }
}

TEST(ImageBuilder, ExactSectorPayloadTakesNoExtraSector) {
  ImageInputs inputs = valid_inputs();
  inputs.payloads[PAYLOAD_VMM].bytes = filler(4 * kSector, 1);
  const BuildResult result = build_image(inputs);
  ASSERT_TRUE(result.ok()) << result.error;
  const layout::PayloadEntry& vmm = result.image.header.payloads[PAYLOAD_VMM];
  EXPECT_EQ(vmm.sectors, 4u);
  EXPECT_EQ(result.image.header.payloads[PAYLOAD_GUEST].first_lba, vmm.first_lba + 4);
}

TEST(ImageBuilder, MbrKeepsStage1AndGetsSignatureAndOneActivePartition) {
  const ImageInputs inputs = valid_inputs();
  const BuildResult result = build_image(inputs);
  ASSERT_TRUE(result.ok()) << result.error;
  const std::vector<uint8_t>& disk = result.image.bytes;

  EXPECT_EQ(std::memcmp(disk.data(), inputs.stage1.bytes.data(), layout::MBR_LOAD_SECTORS_OFFSET), 0);
  // stage1's one read: the header, all of stage2's sectors and the spare.
  EXPECT_EQ(read_le16(disk, layout::MBR_LOAD_SECTORS_OFFSET),
            1 + result.image.header.payloads[layout::PAYLOAD_STAGE2].sectors + 1);
  EXPECT_EQ(disk[0x1FE], 0x55);
  EXPECT_EQ(disk[0x1FF], 0xAA);
  EXPECT_NE(read_le32(disk, 0x1B8), 0u);
  EXPECT_EQ(read_le32(disk, 0x1B8), image::disk_signature(disk.data(), result.image.header));
  EXPECT_EQ(read_le16(disk, 0x1BC), 0);

  const size_t e = 0x1BE;
  EXPECT_EQ(disk[e + 0], 0x80);
  EXPECT_EQ(disk[e + 4], 0xDA);
  const uint32_t first_lba = read_le32(disk, e + 8);
  const uint32_t sectors = read_le32(disk, e + 12);
  EXPECT_EQ(first_lba, 1u);
  EXPECT_EQ(size_t(first_lba + sectors) * kSector, disk.size());
  // Covers the header and every payload.
  EXPECT_LE(first_lba, layout::HEADER_LBA);
  EXPECT_GE(first_lba + sectors, result.image.payload_end_lba);

  // CHS fields agree with the LBAs in a 16-head, 63-sector geometry.
  auto chs_to_lba = [&](size_t at) {
    const uint32_t head = disk[at];
    const uint32_t sector = disk[at + 1] & 0x3F;
    const uint32_t cylinder = disk[at + 2] | ((disk[at + 1] & 0xC0) << 2);
    EXPECT_LT(head, 16u);
    EXPECT_GE(sector, 1u);
    return (cylinder * 16 + head) * 63 + sector - 1;
  };
  EXPECT_EQ(chs_to_lba(e + 1), first_lba);
  EXPECT_EQ(chs_to_lba(e + 5), first_lba + sectors - 1);

  for (size_t i = e + 16; i < 0x1FE; ++i) ASSERT_EQ(disk[i], 0) << "unused entries, byte " << i;
}

TEST(ImageBuilder, SameInputsSameImageOtherContentOtherSignature) {
  const BuildResult first = build_image(valid_inputs());
  const BuildResult again = build_image(valid_inputs());
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first.image.bytes, again.image.bytes);

  ImageInputs changed = valid_inputs();
  changed.payloads[PAYLOAD_GUEST].bytes[10] ^= 1;
  const BuildResult other = build_image(changed);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(read_le32(other.image.bytes, 0x1B8), read_le32(first.image.bytes, 0x1B8));
}

TEST(ImageBuilder, LbaToChsIn16By63Geometry) {
  struct Case { uint32_t lba; uint16_t c; uint8_t h, s; };
  const Case cases[] = {{0, 0, 0, 1},       {1, 0, 0, 2},       {62, 0, 0, 63},
                        {63, 0, 1, 1},      {1007, 0, 15, 63},  {1008, 1, 0, 1},
                        {1024 * 1008 - 1, 1023, 15, 63},
                        {1024 * 1008, 1023, 15, 63},  // beyond CHS: saturates
                        {0xFFFFFFFFu, 1023, 15, 63}};
  for (const Case& c : cases) {
    const image::Chs chs = image::lba_to_chs(c.lba);
    EXPECT_EQ(chs.cylinder, c.c) << "LBA " << c.lba;
    EXPECT_EQ(chs.head, c.h) << "LBA " << c.lba;
    EXPECT_EQ(chs.sector, c.s) << "LBA " << c.lba;
  }
}

TEST(ImageBuilder, PayloadsAtTheirLimitsAreAcceptedAndStillFitAFloppy) {
  ImageInputs inputs = valid_inputs();
  // stage2 and its spare first sector fill stage2's window (stage1 reads
  // at most its 63 sectors); the VMM fills the staging area it is read to.
  inputs.payloads[PAYLOAD_STAGE2].bytes = valid_stage2(layout::STAGE2_MAX_BYTES - kSector);
  EXPECT_EQ(image::kPayloadSpecs[PAYLOAD_STAGE2].max_bytes, layout::STAGE2_MAX_BYTES - kSector);
  EXPECT_EQ(image::kPayloadSpecs[PAYLOAD_VMM].max_bytes, layout::STAGING_END - layout::STAGING_ADDR);
  inputs.payloads[PAYLOAD_VMM].bytes = filler(image::kPayloadSpecs[PAYLOAD_VMM].max_bytes, 2);
  inputs.payloads[PAYLOAD_GUEST].bytes = filler(layout::GUEST_MAX_BYTES, 4);
  const BuildResult result = build_image(inputs);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_LE(result.image.bytes.size() / kSector, image::kFloppySectors);
  EXPECT_EQ(result.image.bytes.size() % (16 * 63 * kSector), 0u);
}

TEST(ImageBuilder, PartitionTableRoundTrips) {
  const image::PartitionTable table = image::image_partition_table(1008 * 3);
  uint8_t bytes[64];
  image::encode_partition_table(table, bytes);
  EXPECT_TRUE(image::decode_partition_table(bytes).entries[0] == table.entries[0]);
  for (int i = 1; i < 4; ++i) {
    EXPECT_TRUE(table.entries[i] == image::PartitionEntry{});
    for (int b = 0; b < 16; ++b) EXPECT_EQ(bytes[16 * i + b], 0);
  }
}

// ---- bad inputs ---------------------------------------------------------

void expect_error(const ImageInputs& inputs, std::initializer_list<std::string> words) {
  const BuildResult result = build_image(inputs);
  ASSERT_FALSE(result.ok()) << "accepted, expected an error naming " << *words.begin();
  for (const std::string& word : words) {
    EXPECT_NE(result.error.find(word), std::string::npos)
        << "'" << word << "' not in: " << result.error;
  }
}

TEST(ImageBuilderErrors, Stage1OfTheWrongSize) {
  for (size_t size : {size_t(0), size_t(511), size_t(513), size_t(1024)}) {
    ImageInputs inputs = valid_inputs();
    inputs.stage1.bytes.resize(size, 0);
    expect_error(inputs, {"stage1", "in/stage1.bin", std::to_string(size), "512"});
  }
}

TEST(ImageBuilderErrors, Stage1WithoutBootSignature) {
  for (size_t at : {size_t(0x1FE), size_t(0x1FF)}) {
    ImageInputs inputs = valid_inputs();
    inputs.stage1.bytes[at] = 0;
    expect_error(inputs, {"stage1", "in/stage1.bin", "0x55 0xAA"});
  }
}

TEST(ImageBuilderErrors, Stage1WithBytesWhereSignatureAndPartitionsGo) {
  for (size_t at : {size_t(layout::MBR_LOAD_SECTORS_OFFSET), size_t(0x1B8), size_t(0x1BC), size_t(0x1BD), size_t(0x1BE), size_t(0x1FD)}) {
    ImageInputs inputs = valid_inputs();
    inputs.stage1.bytes[at] = 0x11;
    expect_error(inputs, {"stage1", "in/stage1.bin", "must be zero"});
  }
}

const image::PayloadSpec& spec_of(uint32_t index) { return image::kPayloadSpecs[index]; }

TEST(ImageBuilderErrors, EmptyPayloads) {
  for (uint32_t index : {PAYLOAD_STAGE2, PAYLOAD_VMM, PAYLOAD_GUEST}) {
    ImageInputs inputs = valid_inputs();
    inputs.payloads[index].bytes.clear();
    expect_error(inputs, {spec_of(index).name, inputs.payloads[index].path, "empty",
                          std::to_string(spec_of(index).max_bytes)});
  }
}

TEST(ImageBuilderErrors, PayloadsTooBigForTheirRegion) {
  for (uint32_t index : {PAYLOAD_STAGE2, PAYLOAD_VMM, PAYLOAD_GUEST}) {
    ImageInputs inputs = valid_inputs();
    inputs.payloads[index].bytes.resize(spec_of(index).max_bytes + 1, 0xEE);
    expect_error(inputs, {spec_of(index).name, inputs.payloads[index].path, "more than",
                          std::to_string(spec_of(index).max_bytes + 1),
                          std::to_string(spec_of(index).max_bytes)});
  }
}

TEST(ImageBuilderErrors, Stage2TooShortForTheMagicAndTheSumAdjustment) {
  for (size_t size : {size_t(7), size_t(11), size_t(19)}) {
    ImageInputs inputs = valid_inputs();
    inputs.payloads[PAYLOAD_STAGE2].bytes = valid_stage2(12);
    inputs.payloads[PAYLOAD_STAGE2].bytes.resize(size);
    expect_error(inputs, {"stage2", "in/stage2.bin", std::to_string(size) + " bytes", "too short",
                          "offset 4", "sector count at 12", "sum at 16"});
  }
}

// stage2 reads the VMM below 1 MiB first, into 0x20000..0x80000: a VMM
// bigger than that (though well within its 2 MiB in memory) is refused with
// the limit and its reason, not left to stage2 to find on every boot.
TEST(ImageBuilderErrors, VmmBiggerThanTheStagingAreaIsRefusedNamingTheLimit) {
  EXPECT_EQ(spec_of(PAYLOAD_VMM).max_bytes, 384u * 1024);
  EXPECT_EQ(spec_of(PAYLOAD_VMM).max_bytes, layout::STAGING_END - layout::STAGING_ADDR);
  for (size_t size : {size_t(384 * 1024 + 1), size_t(layout::VMM_MAX_BYTES)}) {
    ImageInputs inputs = valid_inputs();
    inputs.payloads[PAYLOAD_VMM].bytes = filler(size, 6);
    expect_error(inputs, {"vmm", "in/vmm.bin", std::to_string(size) + " bytes",
                          "more than 393216", "staging area", "0x20000..0x80000", "384 KiB"});
  }
}

// Each payload's limit keeps it inside its place in memory: what stage2's
// real-mode part holds the header to (image_check::kPayloadLimits).
TEST(ImageBuilderErrors, EveryPayloadLimitFitsWhereItIsLoaded) {
  // stage2 and its spare's first sector: inside 0x8000..0xFE00, below the guest.
  EXPECT_LE(spec_of(PAYLOAD_STAGE2).load_addr + spec_of(PAYLOAD_STAGE2).max_bytes + kSector,
            layout::STAGE2_ADDR + layout::STAGE2_MAX_BYTES);
  EXPECT_LE(layout::STAGE2_ADDR + layout::STAGE2_MAX_BYTES, layout::GUEST_ADDR);
  // The guest: below the staging area.
  EXPECT_LE(spec_of(PAYLOAD_GUEST).load_addr + spec_of(PAYLOAD_GUEST).max_bytes,
            layout::STAGING_ADDR);
  // The VMM: in the staging area, then below the host page tables.
  EXPECT_LE(spec_of(PAYLOAD_VMM).max_bytes, layout::STAGING_END - layout::STAGING_ADDR);
  EXPECT_LE(spec_of(PAYLOAD_VMM).load_addr + spec_of(PAYLOAD_VMM).max_bytes,
            layout::PAGE_TABLES_ADDR);
  for (uint32_t index : {PAYLOAD_STAGE2, PAYLOAD_VMM, PAYLOAD_GUEST}) {
    ImageInputs inputs = valid_inputs();
    inputs.payloads[index].bytes.resize(spec_of(index).max_bytes + 1, 0xEE);
    expect_error(inputs, {spec_of(index).name, spec_of(index).limit});
  }
}

TEST(ImageBuilderErrors, Stage2WithoutMagic) {
  ImageInputs inputs = valid_inputs();
  inputs.payloads[PAYLOAD_STAGE2].bytes[6] = 'X';
  expect_error(inputs, {"stage2", "in/stage2.bin", "magic"});

  ImageInputs shifted = valid_inputs();  // the magic at offset 0 is not enough
  std::memcpy(shifted.payloads[PAYLOAD_STAGE2].bytes.data(), "VMS2\0\0\0\0", 8);
  expect_error(shifted, {"stage2", "in/stage2.bin", "magic"});

  ImageInputs tiny = valid_inputs();
  tiny.payloads[PAYLOAD_STAGE2].bytes = {1, 2, 3, 4, 'V', 'M', 'S'};
  expect_error(tiny, {"stage2", "in/stage2.bin", "magic"});
}

// ---- files --------------------------------------------------------------

class ImageFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "mkimage_test.XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write_input(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return path;
  }

  image::MkimageRequest valid_request() {
    const ImageInputs inputs = valid_inputs();
    image::MkimageRequest request;
    request.stage1_path = write_input("stage1.bin", inputs.stage1.bytes);
    request.payload_paths[PAYLOAD_STAGE2] =
        write_input("stage2.bin", inputs.payloads[PAYLOAD_STAGE2].bytes);
    request.payload_paths[PAYLOAD_VMM] = write_input("vmm.bin", inputs.payloads[PAYLOAD_VMM].bytes);
    request.payload_paths[PAYLOAD_GUEST] =
        write_input("guest.bin", inputs.payloads[PAYLOAD_GUEST].bytes);
    request.out_path = dir_ / "vmxboot.img";
    return request;
  }

  // Everything in the directory that is not an input: the image and any
  // temporary file left behind.
  std::vector<std::string> outputs() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      const std::string name = entry.path().filename();
      if (name.find(".bin") == std::string::npos) names.push_back(name);
    }
    return names;
  }

  std::filesystem::path dir_;
};

TEST_F(ImageFiles, SuccessWritesExactlyTheBuiltImage) {
  const image::MkimageRequest request = valid_request();
  const image::MkimageResult result = image::make_image_file(request);
  ASSERT_TRUE(result.error.empty()) << result.error;
  std::ifstream file(request.out_path, std::ios::binary);
  const std::vector<uint8_t> written((std::istreambuf_iterator<char>(file)),
                                     std::istreambuf_iterator<char>());
  EXPECT_EQ(written, build_image(valid_inputs()).image.bytes);
  EXPECT_EQ(outputs(), std::vector<std::string>{"vmxboot.img"});
}

TEST_F(ImageFiles, MissingInputsAreNamedAndNothingIsWritten) {
  for (uint32_t index : {PAYLOAD_STAGE2, PAYLOAD_VMM, PAYLOAD_GUEST}) {
    image::MkimageRequest request = valid_request();
    request.payload_paths[index] = dir_ / "no-such-file";
    const image::MkimageResult result = image::make_image_file(request);
    EXPECT_NE(result.error.find(spec_of(index).name), std::string::npos) << result.error;
    EXPECT_NE(result.error.find("no-such-file"), std::string::npos) << result.error;
    EXPECT_NE(result.error.find(std::to_string(spec_of(index).max_bytes)), std::string::npos)
        << result.error;
    EXPECT_TRUE(outputs().empty());
  }
  image::MkimageRequest request = valid_request();
  request.stage1_path = dir_ / "no-stage1";
  const image::MkimageResult result = image::make_image_file(request);
  EXPECT_NE(result.error.find("stage1"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("no-stage1"), std::string::npos) << result.error;
  EXPECT_TRUE(outputs().empty());
}

TEST_F(ImageFiles, ADirectoryIsNotAnInput) {
  image::MkimageRequest request = valid_request();
  request.payload_paths[PAYLOAD_GUEST] = dir_;
  const image::MkimageResult result = image::make_image_file(request);
  EXPECT_NE(result.error.find("guest"), std::string::npos) << result.error;
  EXPECT_TRUE(outputs().empty());
}

TEST_F(ImageFiles, FailingBuildLeavesNoOutputFile) {
  image::MkimageRequest request = valid_request();
  std::vector<uint8_t> big = filler(layout::VMM_MAX_BYTES + 1, 0);
  request.payload_paths[PAYLOAD_VMM] = write_input("big.bin", big);
  const image::MkimageResult result = image::make_image_file(request);
  EXPECT_NE(result.error.find("big.bin"), std::string::npos) << result.error;
  EXPECT_FALSE(std::filesystem::exists(request.out_path));
  EXPECT_TRUE(outputs().empty());
}

TEST_F(ImageFiles, FailedRenameRemovesTheTemporaryFile) {
  // The output path is a non-empty directory: the temporary file can be
  // written beside it but cannot replace it.
  const std::filesystem::path out = dir_ / "out.img";
  std::filesystem::create_directory(out);
  std::ofstream(out / "keep") << "x";
  const std::string error = image::write_file_atomically(out, std::vector<uint8_t>(1000, 7));
  EXPECT_NE(error.find("rename"), std::string::npos) << error;
  EXPECT_EQ(outputs(), std::vector<std::string>{"out.img"});
  EXPECT_TRUE(std::filesystem::exists(out / "keep"));
}

TEST_F(ImageFiles, MissingOutputDirectoryIsAnErrorAndCreatesNothing) {
  const std::filesystem::path out = dir_ / "no-dir" / "vmxboot.img";
  const std::string error = image::write_file_atomically(out, std::vector<uint8_t>(10, 1));
  EXPECT_NE(error.find(out.string()), std::string::npos) << error;
  EXPECT_TRUE(outputs().empty());
}

TEST_F(ImageFiles, WriteReplacesAnOlderImage) {
  const std::filesystem::path out = dir_ / "vmxboot.img";
  ASSERT_EQ(image::write_file_atomically(out, std::vector<uint8_t>(3000, 1)), "");
  ASSERT_EQ(image::write_file_atomically(out, std::vector<uint8_t>(20, 2)), "");
  EXPECT_EQ(std::filesystem::file_size(out), 20u);
  EXPECT_EQ(outputs(), std::vector<std::string>{"vmxboot.img"});
}

}  // namespace
