// The VMX capability MSRs of every Bochs 2.7 CPU model with VMX and long
// mode, for the tests that need them (control computation, VM-entry checks),
// read from the capture itself: tests/bochs/vmx_msrs_bochs27.txt, written by
// tests/bochs/capture_vmx_msrs.sh, which boots tests/bochs/vmx_msr_probe.asm
// once per model (Bochs 2.7, Debian 12 package, BIOS-bochs-latest). There is
// no other copy of the numbers: a new capture is a new test input.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "vmx/controls.h"

namespace bochs_vmx {

struct BochsModel {
  std::string name;
  vmx::CapabilityMsrs msrs;  // an MSR the model does not have is 0
};

// A capture as capture_vmx_msrs.sh prints it: "# model=NAME" starts a model,
// "msr IIIIIIII = VVVVVVVVVVVVVVVV" (hex) is one of its MSRs; other lines
// starting with '#', and blank lines, are comments. MSRs outside
// CapabilityMsrs (0x3A, 0x491) are read and not kept. Each model must
// hold the MSRs the probe reads on every VMX CPU (0x480-0x48A), the TRUE
// controls (0x48D-0x490) when IA32_VMX_BASIC bit 55 says they exist, and
// 0x48B when the secondary controls may be activated. Anything else throws
// std::runtime_error naming `source`, the line and what is wrong.
std::vector<BochsModel> parse_capture(std::istream& text, const std::string& source);

// The capture file, parsed once. Its path: $VMXBOOT_BOCHS_MSRS, or
// tests/bochs/vmx_msrs_bochs27.txt from the repository root (where the tests
// run). Throws std::runtime_error when it cannot be read or parsed.
const std::vector<BochsModel>& bochs_models();
const BochsModel& model(const std::string& name);

}  // namespace bochs_vmx
