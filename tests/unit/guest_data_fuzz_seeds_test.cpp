// The seeds of the guest_header and acpi fuzz targets reach what the targets
// are for (their corpora are replayed by fuzz_corpus_test.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "guest_header.h"
#include "common/acpi.h"
#include "tests/fuzz/fuzz_targets.h"
#include "guests/guest_header_check.h"

namespace {

// The seeds reach what the targets are for (else the fuzzer explores only
// the first refusals): the captured firmware memory, in the acpi target's
// region format, finds its PM1a_CNT port; the assembled guest's header
// passes the VMM's check and each damaged one is refused.
std::vector<uint8_t> seed(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

uint32_t le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }

TEST(FuzzCorpus, AcpiSeedsFindThePowerOff) {
  const struct {
    const char* platform;
    uint16_t pm1a_cnt;
  } platforms[] = {{"bochs-rombios", 0xB004}, {"bochs-seabios", 0xB004}, {"qemu-seabios", 0x604}};
  for (const auto& p : platforms) {
    const std::vector<uint8_t> input = seed(std::string("tests/fuzz/corpus/acpi/") + p.platform +
                                            ".bin");
    ASSERT_FALSE(input.empty()) << p.platform;
    std::vector<acpi::Region> regions;
    for (size_t at = 0; at + 8 <= input.size();) {
      const uint32_t base = le32(&input[at]), length = le32(&input[at + 4]);
      ASSERT_LE(at + 8 + length, input.size()) << p.platform;
      regions.push_back({base, length, &input[at + 8]});
      at += 8 + length;
    }
    const acpi::PowerOff power_off = acpi::find_power_off({regions.data(), regions.size()});
    ASSERT_TRUE(power_off.found) << p.platform << ": " << power_off.error;
    EXPECT_EQ(power_off.pm1a_cnt, p.pm1a_cnt) << p.platform;
  }
}

TEST(FuzzCorpus, GuestHeaderSeedsPassAndFailAsNamed) {
  const struct {
    const char* file;
    const char* field;  // nullptr: accepted
  } seeds[] = {{"guest.bin", nullptr},
               {"pd-wrap.bin", "page_directory_offset"},
               {"tss-wrap.bin", "tss_offset"},
               {"pse36.bin", "pde0"},
               {"vga-row.bin", "vga_row"},
               {"chain-loader.bin", nullptr},
               {"kind.bin", "kind"}};
  for (const auto& s : seeds) {
    const std::vector<uint8_t> input = seed(std::string("tests/fuzz/corpus/guest_header/") + s.file);
    ASSERT_FALSE(input.empty()) << s.file;
    layout::GuestHeader copy;
    const guests::GuestHeaderProblem problem =
        guests::copy_guest_header(input.data(), static_cast<uint32_t>(input.size()), copy);
    if (s.field == nullptr) {
      EXPECT_TRUE(problem.ok()) << s.file << ": " << problem.field;
    } else {
      EXPECT_STREQ(problem.field, s.field) << s.file;
    }
  }
}

}  // namespace
