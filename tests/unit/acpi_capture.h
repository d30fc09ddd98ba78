// Memory captured from real firmware (tests/data/acpi/README.md), loaded
// for the ACPI tests: one platform's pieces of physical memory as
// acpi::Regions, mutable copies that a test may corrupt or edit.
#pragma once

#include <gtest/gtest.h>

#include <stdint.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "common/acpi.h"

namespace acpi_capture {

namespace fs = std::filesystem;

inline fs::path data_dir() {
  if (const char* dir = getenv("VMXBOOT_TEST_DATA")) return fs::path(dir) / "acpi";
  // __FILE__ is tests/unit/acpi_capture.h as the build names it; relative
  // paths resolve from the repository root, where the tests run.
  return fs::path(__FILE__).parent_path().parent_path() / "data" / "acpi";
}

// One captured platform: files NAME_BASEHEX.bin, each a piece of physical
// memory starting at BASEHEX. Mutable copies, so tests can corrupt them.
struct Capture {
  struct Piece {
    std::string name;
    uint64_t base;
    std::vector<uint8_t> bytes;
  };
  std::vector<Piece> pieces;
  std::vector<acpi::Region> regions;

  explicit Capture(const std::string& platform) {
    fs::path dir = data_dir() / platform;
    if (!fs::is_directory(dir)) {
      ADD_FAILURE() << dir << " not found: run from the repository root or set VMXBOOT_TEST_DATA";
      return;
    }
    for (const auto& file : fs::directory_iterator(dir)) {
      std::string stem = file.path().stem().string();
      size_t underscore = stem.rfind('_');
      if (file.path().extension() != ".bin" || underscore == std::string::npos) continue;
      std::ifstream in(file.path(), std::ios::binary);
      pieces.push_back({stem.substr(0, underscore),
                        std::stoull(stem.substr(underscore + 1), nullptr, 16),
                        std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {})});
    }
  }

  Piece& piece(const std::string& name) {
    for (auto& p : pieces) {
      if (p.name == name) return p;
    }
    ADD_FAILURE() << "no piece " << name;
    static Piece none;
    return none;
  }

  // Bytes of physical address `phys` (test-side, independent of acpi::).
  uint8_t* byte(uint64_t phys) {
    for (auto& p : pieces) {
      if (phys >= p.base && phys < p.base + p.bytes.size()) return &p.bytes[phys - p.base];
    }
    ADD_FAILURE() << "address not captured: " << std::hex << phys;
    return nullptr;
  }

  acpi::MemoryView view() {
    regions.clear();
    for (auto& p : pieces) regions.push_back({p.base, p.bytes.size(), p.bytes.data()});
    return {regions.data(), regions.size()};
  }

  acpi::PowerOff find() { return acpi::find_power_off(view()); }

  // Physical address of the 16-byte aligned "RSD PTR " in the BIOS area.
  uint64_t rsdp() {
    Piece& bios = piece("bios");
    for (size_t i = 0; i + 8 <= bios.bytes.size(); i += 16) {
      if (std::memcmp(&bios.bytes[i], "RSD PTR ", 8) == 0) return bios.base + i;
    }
    ADD_FAILURE() << "capture has no RSDP";
    return 0;
  }

  // Tables with this signature found by scanning the table area for a
  // header whose length and checksum hold.
  std::vector<uint64_t> tables(const char* signature) {
    std::vector<uint64_t> found;
    Piece& area = piece("tables");
    for (size_t i = 0; i + 36 <= area.bytes.size(); ++i) {
      if (std::memcmp(&area.bytes[i], signature, 4) != 0) continue;
      uint32_t length;
      std::memcpy(&length, &area.bytes[i + 4], 4);
      if (length < 36 || i + length > area.bytes.size()) continue;
      uint8_t sum = 0;
      for (size_t k = 0; k < length; ++k) sum = static_cast<uint8_t>(sum + area.bytes[i + k]);
      if (sum == 0) found.push_back(area.base + i);
    }
    return found;
  }

  uint64_t table(const char* signature) {
    auto found = tables(signature);
    EXPECT_EQ(found.size(), 1u) << signature;
    return found.empty() ? 0 : found[0];
  }

  uint32_t length_of(uint64_t table) {
    uint32_t length;
    std::memcpy(&length, byte(table + 4), 4);
    return length;
  }

  // Recomputes a table's checksum byte (offset 9) after an edit.
  void fix_checksum(uint64_t table) {
    uint32_t length = length_of(table);
    *byte(table + 9) = 0;
    uint8_t sum = 0;
    for (uint32_t k = 0; k < length; ++k) sum = static_cast<uint8_t>(sum + *byte(table + k));
    *byte(table + 9) = static_cast<uint8_t>(-sum);
  }

  // Where "_S5_" occurs inside AML tables (DSDT, SSDTs), with the table.
  struct Name {
    uint64_t at;
    uint64_t table;
  };
  std::vector<Name> s5_names() {
    std::vector<Name> names;
    for (const char* sig : {"DSDT", "SSDT"}) {
      for (uint64_t t : tables(sig)) {
        for (uint32_t k = 36; k + 4 <= length_of(t); ++k) {
          if (std::memcmp(byte(t + k), "_S5_", 4) == 0) names.push_back({t + k, t});
        }
      }
    }
    return names;
  }
};

}  // namespace acpi_capture
