// Replays each fuzz target's committed corpus (tests/fuzz/corpus/<name>/)
// through its function: what `make fuzz` once found stays tested by
// `make test`, sanitizers or not. One test per target (tests/fuzz/README.md).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_targets.h"

namespace {

namespace fs = std::filesystem;

// The corpus lies beside this file's folder, wherever the binary runs from.
fs::path corpus_dir(const std::string& name) {
  return fs::path(__FILE__).parent_path().parent_path() / "fuzz" / "corpus" / name;
}

void replay(const std::string& name, int (*target)(const uint8_t*, size_t)) {
  const fs::path dir = corpus_dir(name);
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " missing";
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                     std::istreambuf_iterator<char>());
    SCOPED_TRACE(entry.path().string());
    EXPECT_EQ(target(bytes.data(), bytes.size()), 0);
    ++files;
  }
  EXPECT_GT(files, 0u) << "empty corpus in " << dir;
}

TEST(FuzzCorpus, ImageHeader) { replay("image_header", fuzz_image_header); }
TEST(FuzzCorpus, GuestHeader) { replay("guest_header", fuzz_guest_header); }
TEST(FuzzCorpus, Acpi) { replay("acpi", fuzz_acpi); }
TEST(FuzzCorpus, Dmar) { replay("dmar", fuzz_dmar); }
TEST(FuzzCorpus, HighRam) { replay("high_ram", fuzz_high_ram); }

}  // namespace
