// The normal VMM holds no fault-injection code and no DMA probe; the
// injection build's has the hooks (vmm/vmx/fault_cases.h), the probe
// build's the probe (vmm/vtd/dma_probe.h). Read from the binaries `make` built: the build
// folder is $VMXBOOT_BUILD (default build/).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "layout.h"

namespace {

std::string build_folder() {
  const char* set = std::getenv("VMXBOOT_BUILD");
  return set != nullptr ? set : "build";
}

bool contains(const std::vector<char>& bytes, const std::string& text) {
  return std::search(bytes.begin(), bytes.end(), text.begin(), text.end()) != bytes.end();
}

std::vector<char> read(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), {}};
}

TEST(InjectionBuild, TheNormalVmmHasNoFaultCaseCode) {
  const std::string path = build_folder() + "/vmm.bin";
  const std::vector<char> vmm = read(path);
  ASSERT_GT(vmm.size(), 4096u) << path << " is missing: run `make`";
  EXPECT_FALSE(contains(vmm, VMXBOOT_INJECTION_VMM_MARKER));
  // The explanation line's format and a case's own words.
  EXPECT_FALSE(contains(vmm, "inject: %s"));
  EXPECT_FALSE(contains(vmm, "VMXON region stamped"));
}

TEST(InjectionBuild, TheInjectionVmmHasTheHooks) {
  const std::string path = build_folder() + "/inject/vmm.bin";
  const std::vector<char> vmm = read(path);
  ASSERT_GT(vmm.size(), 4096u) << path << " is missing: run `make unit` (it builds it)";
  EXPECT_TRUE(contains(vmm, VMXBOOT_INJECTION_VMM_MARKER));
  EXPECT_TRUE(contains(vmm, "inject: %s"));
  EXPECT_TRUE(contains(vmm, "VMXON region stamped"));
}

constexpr const char* probe_marker = "vmxboot: VMM built with the DMA probe";

TEST(DmaProbeBuild, OnlyTheProbeBuildHasTheProbe) {
  const std::vector<char> vmm = read(build_folder() + "/vmm.bin");
  ASSERT_GT(vmm.size(), 4096u) << "run `make`";
  EXPECT_FALSE(contains(vmm, probe_marker));
  EXPECT_FALSE(contains(vmm, "dma-probe:"));
  const std::string path = build_folder() + "/dma-probe/vmm.bin";
  const std::vector<char> probe = read(path);
  ASSERT_GT(probe.size(), 4096u) << path << " is missing: run `make unit` (it builds it)";
  EXPECT_TRUE(contains(probe, probe_marker));
  EXPECT_TRUE(contains(probe, "dma-probe:"));
  EXPECT_FALSE(contains(probe, VMXBOOT_INJECTION_VMM_MARKER));
}

}  // namespace
