// image_check (the header check stage2 runs at boot) and image_inspect (the
// whole disk, as `make inspect` reads it) on the real build/vmxboot.img and
// on damaged copies of it: a flipped byte in every region, truncation inside
// every payload, foreign disks, header fields that overflow.
#include "image_inspect.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "guest_header.h"
#include "image_check.h"
#include "image_file.h"
#include "layout.h"
#include "common/crc32c.h"
#include "tests/fuzz/fuzz_targets.h"

namespace {

using image::DiskReport;
using image::MemoryDisk;
using image_check::HeaderCheck;
using layout::ImageHeader;
using layout::PAYLOAD_GUEST;
using layout::PAYLOAD_STAGE2;
using layout::PAYLOAD_VMM;
using layout::SECTOR_SIZE;

constexpr size_t kHeaderAt = layout::HEADER_LBA * SECTOR_SIZE;

std::string build_dir() {
  const char* dir = getenv("VMXBOOT_BUILD");
  return dir != nullptr ? dir : "build";
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The image `make image` built: what a user would inspect.
const std::vector<uint8_t>& built_image() {
  static const std::vector<uint8_t> bytes = read_file(build_dir() + "/vmxboot.img");
  return bytes;
}

ImageHeader header_of(const std::vector<uint8_t>& disk) {
  ImageHeader header;
  std::memcpy(&header, disk.data() + kHeaderAt, sizeof header);
  return header;
}

// Writes `header` back with a valid CRC and disk signature: a header that
// is wrong on purpose, not damaged.
void put_header(std::vector<uint8_t>& disk, ImageHeader header) {
  header.header_crc32 = crc32c(&header, offsetof(ImageHeader, header_crc32));
  std::memcpy(disk.data() + kHeaderAt, &header, sizeof header);
  const uint32_t signature = image::disk_signature(disk.data(), header);
  std::memcpy(disk.data() + image::kDiskSignatureOffset, &signature, 4);
}

DiskReport inspect(const std::vector<uint8_t>& disk) {
  return image::inspect_disk(MemoryDisk(disk));
}

std::string all_errors(const DiskReport& report) {
  std::string text;
  for (const std::string& error : report.errors) text += "  " + error + "\n";
  return text;
}

bool has_error_starting(const DiskReport& report, const std::string& prefix) {
  for (const std::string& error : report.errors) {
    if (error.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

const image::Region* region(const DiskReport& report, const std::string& name) {
  for (const image::Region& r : report.regions) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

class ImageInspect : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GT(built_image().size(), 2 * SECTOR_SIZE)
        << "no " << build_dir() << "/vmxboot.img: run `make image` (make unit does)";
    disk_ = built_image();
    header_ = header_of(disk_);
  }
  uint32_t lba(uint32_t payload) const { return header_.payloads[payload].first_lba; }
  uint32_t sectors(uint32_t payload) const { return header_.payloads[payload].sectors; }
  size_t at(uint32_t lba, size_t offset = 0) const { return size_t(lba) * SECTOR_SIZE + offset; }

  std::vector<uint8_t> disk_;
  ImageHeader header_;
};

// ---- the intact image -----------------------------------------------------

TEST_F(ImageInspect, TheBuiltImagePassesEveryCheck) {
  const DiskReport report = inspect(disk_);
  EXPECT_TRUE(report.ok()) << all_errors(report);
  ASSERT_TRUE(report.header_trusted);
  std::vector<std::string> names;
  for (const image::Region& r : report.regions) {
    names.push_back(r.name);
    EXPECT_TRUE(r.ok) << r.name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"mbr", "header", "stage2", "spare", "vmm", "guest",
                                             "padding"}));
  // The CRC column is what the disk holds, and matches the header.
  for (uint32_t p : {PAYLOAD_STAGE2, PAYLOAD_VMM, PAYLOAD_GUEST}) {
    const image::Region* r = region(report, layout::PAYLOAD_NAMES[p]);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->crc32, crc32c(disk_.data() + at(lba(p)), header_.payloads[p].size));
    EXPECT_EQ(r->crc32, header_.payloads[p].crc32);
    EXPECT_EQ(r->first_lba, lba(p));
  }
  EXPECT_EQ(region(report, "spare")->first_lba, lba(PAYLOAD_STAGE2) + sectors(PAYLOAD_STAGE2));
  EXPECT_EQ(report.stage2_first_sum, layout::STAGE2_MAGIC);
  EXPECT_EQ(report.spare_first_sum, layout::STAGE2_MAGIC);
  // The sum stage2's first sector carries for the rest (its own check).
  uint32_t stored_rest_sum = 0;
  std::memcpy(&stored_rest_sum,
              disk_.data() + at(lba(layout::PAYLOAD_STAGE2), layout::STAGE2_REST_SUM_OFFSET), 4);
  EXPECT_EQ(report.stage2_stored_rest_sum, stored_rest_sum);
  EXPECT_EQ(report.stage2_rest_sum, stored_rest_sum);
  EXPECT_EQ(report.spare_rest_sum, stored_rest_sum);
  EXPECT_EQ(report.guest_header.rfind("V86 demo, entry 1000:", 0), 0u) << report.guest_header;
}

// A guest the VMM would refuse (its header's memory_bytes below its
// image_bytes), its CRC in the header right: named, as the VMM would.
TEST_F(ImageInspect, AGuestHeaderTheVmmWouldRefuseIsNamed) {
  const size_t guest = at(lba(PAYLOAD_GUEST));
  const uint32_t bad = 16;
  std::memcpy(disk_.data() + guest + offsetof(layout::GuestHeader, memory_bytes), &bad, 4);
  ImageHeader h = header_;
  h.payloads[PAYLOAD_GUEST].crc32 = crc32c(disk_.data() + guest, h.payloads[PAYLOAD_GUEST].size);
  put_header(disk_, h);
  const DiskReport report = inspect(disk_);
  EXPECT_TRUE(has_error_starting(report, "guest: header field memory_bytes: ")) << all_errors(report);
  EXPECT_FALSE(region(report, "guest")->ok);
  EXPECT_TRUE(report.guest_header.empty());
  // Built for a fault-injection case that wants the VMM to refuse it
  // (mkimage --inject header-*): said, and no error.
  h.inject = layout::INJECT_HEADER_PD_WRAP;
  put_header(disk_, h);
  const DiskReport injected = inspect(disk_);
  EXPECT_TRUE(injected.ok()) << all_errors(injected);
  EXPECT_NE(injected.guest_header.find("memory_bytes"), std::string::npos);
  EXPECT_NE(injected.guest_header.find("as its fault-injection case wants"), std::string::npos);
}

TEST_F(ImageInspect, TheLayoutNamesEveryRegionAndColumn) {
  const std::string text = image::format_report(inspect(disk_));
  for (const char* word : {"CRC-32C", "mbr", "header", "stage2", "spare", "vmm", "guest",
                           "padding", "0x00400000", "0xDA", "0x80 boot", "516096 bytes",
                           "VMS2", "end wait 15 s"}) {
    EXPECT_NE(text.find(word), std::string::npos) << word << " missing in\n" << text;
  }
  EXPECT_EQ(text.find("CRC32 "), std::string::npos) << text;
}

TEST_F(ImageInspect, AStickLargerThanTheImageInspectsFine) {
  disk_.resize(disk_.size() + 8 * 1024 * 1024, 0x5A);  // the rest of a stick: old data
  const DiskReport report = inspect(disk_);
  EXPECT_TRUE(report.ok()) << all_errors(report);
  EXPECT_EQ(report.disk_sectors, disk_.size() / SECTOR_SIZE);
  EXPECT_NE(image::format_report(report).find("disk: " + std::to_string(report.disk_sectors)),
            std::string::npos);
}

// ---- a flipped byte in every region -----------------------------------------

struct Flip {
  const char* what;
  size_t offset;
  std::string first_error;  // the start of the first error
};

TEST_F(ImageInspect, AFlippedByteInEveryRegionIsNamed) {
  const uint32_t s2 = lba(PAYLOAD_STAGE2), spare = s2 + sectors(PAYLOAD_STAGE2);
  ASSERT_GE(sectors(PAYLOAD_STAGE2), 2u);
  const Flip flips[] = {
      {"mbr code", 0x100, "mbr: disk signature"},
      {"mbr load count", layout::MBR_LOAD_SECTORS_OFFSET, "mbr: stage1 reads"},
      {"partition table", image::kPartitionTableOffset + 4, "mbr: partition 1 is"},
      {"unused partition entry", image::kPartitionTableOffset + 16 + 8, "mbr: partition 2 is"},
      {"boot signature", image::kBootSignatureOffset, "mbr: no boot signature"},
      {"header", kHeaderAt + offsetof(ImageHeader, reserved), "header: CRC-32C 0x"},
      {"stage2 first sector", at(s2, 100), "stage2: its first sector's dwords sum to"},
      {"stage2 rest", at(s2 + 1, 20), "stage2: LBA " + std::to_string(s2 + 1) + "-"},
      {"spare first sector", at(spare, 300), "spare: its first sector's dwords sum to"},
      {"spare rest", at(spare + sectors(PAYLOAD_STAGE2) - 1, 0), "spare: LBA "},
      {"vmm", at(lba(PAYLOAD_VMM), header_.payloads[PAYLOAD_VMM].size / 2), "vmm: CRC-32C 0x"},
      {"guest", at(lba(PAYLOAD_GUEST), 7), "guest: CRC-32C 0x"},
  };
  for (const Flip& flip : flips) {
    std::vector<uint8_t> disk = disk_;
    disk[flip.offset] ^= 0x10;
    const DiskReport report = inspect(disk);
    ASSERT_FALSE(report.ok()) << flip.what << " not found";
    EXPECT_EQ(report.errors[0].rfind(flip.first_error, 0), 0u)
        << flip.what << ":\n" << all_errors(report);
  }
}

TEST_F(ImageInspect, ACrcErrorSaysWhatItFoundAndExpected) {
  const size_t offset = at(lba(PAYLOAD_VMM), 1000);
  disk_[offset] ^= 1;
  const uint32_t found = crc32c(disk_.data() + at(lba(PAYLOAD_VMM)), header_.payloads[PAYLOAD_VMM].size);
  char expected[64];
  std::snprintf(expected, sizeof expected, "vmm: CRC-32C 0x%08X expected 0x%08X", found,
                header_.payloads[PAYLOAD_VMM].crc32);
  const DiskReport report = inspect(disk_);
  ASSERT_EQ(report.errors.size(), 1u) << all_errors(report);
  EXPECT_EQ(report.errors[0], expected);
  EXPECT_FALSE(region(report, "vmm")->ok);
  EXPECT_TRUE(region(report, "guest")->ok);
}

// ---- truncation ------------------------------------------------------------

TEST_F(ImageInspect, ADiskCutShortInsideEachPayloadNamesIt) {
  const uint32_t spare = lba(PAYLOAD_STAGE2) + sectors(PAYLOAD_STAGE2);
  const std::pair<const char*, uint32_t> cuts[] = {
      {"stage2", lba(PAYLOAD_STAGE2) + 1},
      {"spare", spare + 1},
      {"vmm", lba(PAYLOAD_VMM) + sectors(PAYLOAD_VMM) / 2},
      {"guest", lba(PAYLOAD_GUEST) + sectors(PAYLOAD_GUEST) - 1},
  };
  for (const auto& [name, sectors_left] : cuts) {
    std::vector<uint8_t> disk = disk_;
    disk.resize(size_t(sectors_left) * SECTOR_SIZE + 100);  // and not even whole sectors
    const DiskReport report = inspect(disk);
    ASSERT_FALSE(report.ok()) << name;
    EXPECT_TRUE(has_error_starting(report, "disk: " + std::to_string(sectors_left) +
                                               " sectors, the header says"))
        << all_errors(report);
    EXPECT_TRUE(has_error_starting(report, std::string(name) + ": LBA "))
        << name << ":\n" << all_errors(report);
    EXPECT_NE(all_errors(report).find("runs past the end of the disk"), std::string::npos);
    EXPECT_FALSE(region(report, name)->ok) << name;
  }
}

TEST_F(ImageInspect, ADiskCutInsideTheMbrOrHeaderIsNotAVmxbootDisk) {
  for (size_t size : {size_t(0), size_t(100), size_t(SECTOR_SIZE), size_t(SECTOR_SIZE + 200)}) {
    std::vector<uint8_t> disk(disk_.begin(), disk_.begin() + ptrdiff_t(size));
    const DiskReport report = inspect(disk);
    ASSERT_EQ(report.errors.size(), 1u) << size;
    EXPECT_EQ(report.errors[0].rfind("not a vmxboot disk: " + std::to_string(size) + " bytes", 0),
              0u)
        << report.errors[0];
  }
}

// ---- foreign disks -----------------------------------------------------------

TEST(ImageInspectForeign, AZeroedDiskHasNoBootSignatureAndNoHeader) {
  const DiskReport report = inspect(std::vector<uint8_t>(1 << 20, 0));
  EXPECT_EQ(report.errors, (std::vector<std::string>{
                               "mbr: no boot signature 0x55 0xAA at 0x1FE: no BIOS boots it",
                               "not a vmxboot disk: no VMXBOOT header at LBA 1"}));
  EXPECT_FALSE(report.header_trusted);
  EXPECT_TRUE(report.regions.empty());
}

TEST(ImageInspectForeign, AnotherBootSectorWithoutAVmxbootHeader) {
  // An MBR as another tool writes it: its own code, a FAT32 partition from
  // LBA 2048, the boot signature; LBA 1 empty.
  std::vector<uint8_t> disk(4 << 20, 0);
  for (size_t i = 0; i < 0x1B8; ++i) disk[i] = uint8_t(0xFA + i * 13);
  const uint8_t entry[16] = {0x80, 0x20, 0x21, 0x00, 0x0C, 0xFE, 0xFF, 0xFF,
                             0x00, 0x08, 0x00, 0x00, 0x00, 0x18, 0x00, 0x00};
  std::memcpy(&disk[image::kPartitionTableOffset], entry, 16);
  disk[510] = 0x55;
  disk[511] = 0xAA;
  const DiskReport report = inspect(disk);
  EXPECT_EQ(report.errors,
            std::vector<std::string>{"not a vmxboot disk: no VMXBOOT header at LBA 1"});
  EXPECT_EQ(report.partitions.entries[0].type, 0x0C);
  EXPECT_EQ(report.partitions.entries[0].first_lba, 2048u);
  // The MBR is still shown, with its partition.
  const std::string text = image::format_report(report);
  EXPECT_NE(text.find("0x0C"), std::string::npos) << text;
  EXPECT_NE(text.find("2048"), std::string::npos) << text;
}

// ---- header fields that overflow or lie -------------------------------------

struct BadHeader {
  const char* what;
  void (*change)(ImageHeader&);
  HeaderCheck check;
  uint8_t payload;
  std::string error;  // the start of inspect's message
};

TEST_F(ImageInspect, HeaderFieldsOutOfRangeAreRefusedWithAValidCrc) {
  // What the build's own VMM entry turns into.
  const uint32_t vmm_sectors = header_.payloads[PAYLOAD_VMM].sectors;
  char high_bit[96], wrapped[96];
  std::snprintf(high_bit, sizeof high_bit, "header: vmm: %u sectors (0x%08X), expected 1 to 768",
                vmm_sectors | 0x800000, vmm_sectors | 0x800000);
  std::snprintf(wrapped, sizeof wrapped, "header: vmm: LBA 4294967168-%llu lies beyond",
                0xFFFFFF80ull + vmm_sectors - 1);
  const BadHeader cases[] = {
      {"vmm sectors with a high bit (e.g. 214 -> 0x8000D6)",
       [](ImageHeader& h) { h.payloads[PAYLOAD_VMM].sectors |= 0x800000; }, HeaderCheck::sectors,
       PAYLOAD_VMM, high_bit},
      {"vmm sectors whose byte count wraps 32 bits (0x800000 sectors = 4 GiB)",
       [](ImageHeader& h) { h.payloads[PAYLOAD_VMM].sectors = 0x800000; }, HeaderCheck::sectors,
       PAYLOAD_VMM, "header: vmm: 8388608 sectors"},
      {"stage2 sectors = 1 mod 512 (its 16-bit dword count wraps to 0)",
       [](ImageHeader& h) { h.payloads[PAYLOAD_STAGE2].sectors += 512; }, HeaderCheck::sectors,
       PAYLOAD_STAGE2, "header: stage2: "},
      {"no sectors", [](ImageHeader& h) { h.payloads[PAYLOAD_GUEST].sectors = 0; },
       HeaderCheck::sectors, PAYLOAD_GUEST, "header: guest: 0 sectors"},
      {"size beyond its sectors", [](ImageHeader& h) { h.payloads[PAYLOAD_VMM].size = 0xFFFFFFFF; },
       HeaderCheck::size, PAYLOAD_VMM, "header: vmm: size 4294967295 bytes"},
      {"size a sector short of its sectors",
       [](ImageHeader& h) { h.payloads[PAYLOAD_VMM].size -= 512 + h.payloads[PAYLOAD_VMM].size % 512; },
       HeaderCheck::size, PAYLOAD_VMM, "header: vmm: size"},
      {"load address", [](ImageHeader& h) { h.payloads[PAYLOAD_GUEST].load_addr = 0x7000; },
       HeaderCheck::load_addr, PAYLOAD_GUEST,
       "header: guest: load address 0x00007000 expected 0x00010000"},
      {"stage2 not behind the header", [](ImageHeader& h) { h.payloads[PAYLOAD_STAGE2].first_lba = 3; },
       HeaderCheck::first_lba, PAYLOAD_STAGE2, "header: stage2: first LBA 3, expected 2"},
      {"vmm over the MBR", [](ImageHeader& h) { h.payloads[PAYLOAD_VMM].first_lba = 0; },
       HeaderCheck::first_lba, PAYLOAD_VMM, "header: vmm: first LBA 0, expected at least "},
      {"vmm LBA + sectors wraps 32 bits inside a disk of 2^32-1 sectors",
       [](ImageHeader& h) {
         h.disk_sectors = 0xFFFFFFFF;
         h.payloads[PAYLOAD_VMM].first_lba = 0xFFFFFF80;
       },
       HeaderCheck::beyond_disk, PAYLOAD_VMM, wrapped},
      {"guest past the disk's end",
       [](ImageHeader& h) { h.payloads[PAYLOAD_GUEST].first_lba = h.disk_sectors - 1; },
       HeaderCheck::beyond_disk, PAYLOAD_GUEST, "header: guest: LBA "},
      {"the spare past the disk's end",
       [](ImageHeader& h) { h.disk_sectors = 2 + h.payloads[PAYLOAD_STAGE2].sectors; },
       HeaderCheck::beyond_disk, image_check::kSpare, "header: spare: LBA "},
      {"vmm over the spare",
       [](ImageHeader& h) { h.payloads[PAYLOAD_VMM].first_lba = h.payloads[PAYLOAD_STAGE2].sectors + 5; },
       HeaderCheck::first_lba, PAYLOAD_VMM, "header: vmm: first LBA "},
      {"vmm inside the guest",
       [](ImageHeader& h) { h.payloads[PAYLOAD_VMM].first_lba = h.payloads[PAYLOAD_GUEST].first_lba + 1; },
       HeaderCheck::overlap, PAYLOAD_GUEST, "header: guest: LBA "},
      {"guest inside the vmm",
       [](ImageHeader& h) { h.payloads[PAYLOAD_GUEST].first_lba = h.payloads[PAYLOAD_VMM].first_lba + 3; },
       HeaderCheck::overlap, PAYLOAD_GUEST, "header: guest: LBA "},
      {"version", [](ImageHeader& h) { h.version = layout::IMAGE_VERSION - 1; },
       HeaderCheck::version, image_check::kNoPayload,
       "header: version " + std::to_string(layout::IMAGE_VERSION - 1) + ", expected " +
           std::to_string(layout::IMAGE_VERSION)},
      {"an injection case no build has",
       [](ImageHeader& h) { h.inject = 0xFFFF; },
       HeaderCheck::inject, image_check::kNoPayload, "header: fault-injection case "},
      {"payload count", [](ImageHeader& h) { h.payload_count = 0xFFFF; },
       HeaderCheck::payload_count, image_check::kNoPayload, "header: 65535 payloads, expected 3"},
  };
  for (const BadHeader& c : cases) {
    ImageHeader header = header_;
    c.change(header);
    header.header_crc32 = crc32c(&header, offsetof(ImageHeader, header_crc32));
    const image_check::HeaderFault fault = image_check::check_header(header);
    EXPECT_EQ(int(fault.check), int(c.check)) << c.what << ": " << image_check::check_name(fault.check);
    EXPECT_EQ(fault.payload, c.payload) << c.what;

    std::vector<uint8_t> disk = disk_;
    put_header(disk, header);
    const DiskReport report = inspect(disk);
    ASSERT_EQ(report.errors.size(), 1u) << c.what << ":\n" << all_errors(report);
    EXPECT_EQ(report.errors[0].rfind(c.error, 0), 0u) << c.what << ": " << report.errors[0];
    EXPECT_FALSE(report.header_trusted);
    // The fuzz target's second look at the rules agrees on each.
    EXPECT_EQ(fuzz_image_header(reinterpret_cast<const uint8_t*>(&header), sizeof header), 0);
  }
}

TEST_F(ImageInspect, AHeaderThatDescribesA2TiBDiskOnASmallOneIsCutShort) {
  ImageHeader header = header_;
  header.disk_sectors = 0xFFFFFFFF;  // the payloads all fit: the header check passes
  put_header(disk_, header);
  const DiskReport report = inspect(disk_);
  ASSERT_TRUE(report.header_trusted) << all_errors(report);
  EXPECT_TRUE(has_error_starting(report, "disk: " + std::to_string(disk_.size() / SECTOR_SIZE) +
                                             " sectors, the header says 4294967295"))
      << all_errors(report);
  EXPECT_TRUE(has_error_starting(report, "mbr: partition 1 is")) << all_errors(report);
  const image::Region* padding = region(report, "padding");
  ASSERT_NE(padding, nullptr);
  EXPECT_EQ(padding->bytes, uint64_t(0xFFFFFFFFu - padding->first_lba) * SECTOR_SIZE);
}

TEST_F(ImageInspect, TheMagicAndTheCrcComeFirst) {
  ImageHeader header = header_;
  header.magic ^= 1;
  EXPECT_EQ(int(image_check::check_header(header).check), int(HeaderCheck::magic));
  header = header_;
  header.payloads[PAYLOAD_VMM].sectors = 0xFFFFFFFF;  // would fail its range, but the CRC first
  const image_check::HeaderFault fault = image_check::check_header(header);
  EXPECT_EQ(int(fault.check), int(HeaderCheck::crc));
  EXPECT_EQ(fault.expected, header_.header_crc32);
  EXPECT_EQ(fault.found, crc32c(&header, offsetof(ImageHeader, header_crc32)));
}

TEST(ImageCheck, EveryCheckHasItsOwnName) {
  std::vector<std::string> names;
#define VMXBOOT_CHECK_NAME_OF(name, text) names.push_back(image_check::check_name(HeaderCheck::name));
  VMXBOOT_HEADER_CHECKS(VMXBOOT_CHECK_NAME_OF)
#undef VMXBOOT_CHECK_NAME_OF
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t j = i + 1; j < names.size(); ++j) EXPECT_NE(names[i], names[j]);
  }
  EXPECT_STREQ(image_check::fault_region(image_check::kSpare), "spare");
  EXPECT_STREQ(image_check::fault_region(image_check::kNoPayload), "header");
}

// ---- the printed layout comes from the file ---------------------------------

std::string run_capturing(const std::string& command, int& status) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  char buffer[4096];
  size_t got;
  while ((got = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, got);
  status = WEXITSTATUS(pclose(pipe));
  return out;
}

class InspectTool : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "inspect_test.XXXXXX");
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    tool_ = build_dir() + "/host/inspect";
    ASSERT_TRUE(std::filesystem::exists(tool_)) << tool_ << ": run make unit";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) {
    const std::string path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    return path;
  }

  std::filesystem::path dir_;
  std::string tool_;
};

TEST_F(InspectTool, PrintsWhatMkimagePrintedFromTheFileAloneOnceItsInputsAreGone) {
  // mkimage from the build's own parts, copied here and deleted afterwards.
  const std::string b = build_dir();
  image::MkimageRequest request;
  request.stage1_path = write("stage1.bin", read_file(b + "/stage1.bin"));
  request.payload_paths[PAYLOAD_STAGE2] = write("stage2.bin", read_file(b + "/stage2.bin"));
  request.payload_paths[PAYLOAD_VMM] = write("vmm.bin", read_file(b + "/vmm.bin"));
  request.payload_paths[PAYLOAD_GUEST] = write("guest.bin", read_file(b + "/guest.bin"));
  request.out_path = dir_ / "copy.img";
  request.end_wait_seconds = 42;  // not what the build's image says
  const image::MkimageResult made = image::make_image_file(request);
  ASSERT_EQ(made.error, "");
  for (const char* input : {"stage1.bin", "stage2.bin", "vmm.bin", "guest.bin"}) {
    std::filesystem::remove(dir_ / input);
  }
  int status = -1;
  const std::string out = run_capturing(tool_ + " " + request.out_path, status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_EQ(out, request.out_path + ":\n\n" + image::format_report(made.report) +
                     "\nevery check passed\n");
  EXPECT_NE(out.find("end wait 42 s"), std::string::npos) << out;
}

TEST_F(InspectTool, ADamagedImageExitsNonZeroNamingTheRegion) {
  std::vector<uint8_t> disk = built_image();
  const ImageHeader header = header_of(disk);
  disk[size_t(header.payloads[PAYLOAD_GUEST].first_lba) * SECTOR_SIZE + 3] ^= 0x80;
  int status = -1;
  const std::string out = run_capturing(tool_ + " " + write("bad.img", disk), status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("inspect: guest: CRC-32C 0x"), std::string::npos) << out;
  EXPECT_NE(out.find("guest          "), std::string::npos) << out;  // the table still shows
}

TEST_F(InspectTool, AMissingFileOrADirectoryIsAnErrorNotAReport) {
  int status = -1;
  std::string out = run_capturing(tool_ + " " + (dir_ / "none.img").string(), status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("cannot open"), std::string::npos) << out;
  out = run_capturing(tool_ + " " + dir_.string(), status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("neither a file nor a block device"), std::string::npos) << out;
  out = run_capturing(tool_, status);
  EXPECT_EQ(status, 2) << out;
}

}  // namespace
