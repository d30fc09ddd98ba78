// Reads the Bochs VMX MSR capture (bochs_vmx_msrs.h).
#include "bochs_vmx_msrs.h"

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

namespace bochs_vmx {
namespace {

// Where each captured MSR goes in CapabilityMsrs (indices as in the SDM).
const std::map<uint32_t, uint64_t vmx::CapabilityMsrs::*> kept = {
    {0x480, &vmx::CapabilityMsrs::basic},
    {0x481, &vmx::CapabilityMsrs::pin_based},
    {0x482, &vmx::CapabilityMsrs::primary_processor},
    {0x483, &vmx::CapabilityMsrs::exit},
    {0x484, &vmx::CapabilityMsrs::entry},
    {0x485, &vmx::CapabilityMsrs::misc},
    {0x486, &vmx::CapabilityMsrs::cr0_fixed0},
    {0x487, &vmx::CapabilityMsrs::cr0_fixed1},
    {0x488, &vmx::CapabilityMsrs::cr4_fixed0},
    {0x489, &vmx::CapabilityMsrs::cr4_fixed1},
    {0x48B, &vmx::CapabilityMsrs::secondary_processor},
    {0x48C, &vmx::CapabilityMsrs::ept_vpid},
    {0x48D, &vmx::CapabilityMsrs::true_pin_based},
    {0x48E, &vmx::CapabilityMsrs::true_primary_processor},
    {0x48F, &vmx::CapabilityMsrs::true_exit},
    {0x490, &vmx::CapabilityMsrs::true_entry},
};

// A hex number of exactly `digits` digits, or false.
bool parse_hex(const std::string& text, size_t digits, uint64_t* value) {
  if (text.size() != digits) return false;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  *value = std::stoull(text, nullptr, 16);
  return true;
}

struct Model {
  BochsModel model;
  std::map<uint32_t, uint64_t> seen;
  size_t line;  // of its "# model=" line
};

void check_complete(const Model& m, const std::string& source) {
  auto require = [&](uint32_t first, uint32_t last, const char* why) {
    for (uint32_t index = first; index <= last; ++index) {
      if (m.seen.count(index) == 0) {
        std::ostringstream error;
        error << source << ":" << m.line << ": model " << m.model.name << " lacks MSR 0x"
              << std::hex << std::uppercase << index << " (" << why << ")";
        throw std::runtime_error(error.str());
      }
    }
  };
  require(0x480, 0x48A, "every VMX CPU has it");
  if (m.model.msrs.basic & (1ull << 55)) require(0x48D, 0x490, "IA32_VMX_BASIC bit 55");
  if (m.model.msrs.primary_processor & (1ull << 63)) {
    require(0x48B, 0x48B, "secondary controls may be activated");
  }
}

}  // namespace

std::vector<BochsModel> parse_capture(std::istream& text, const std::string& source) {
  std::vector<Model> models;
  std::string line;
  for (size_t number = 1; std::getline(text, line); ++number) {
    auto fail = [&](const std::string& what) {
      throw std::runtime_error(source + ":" + std::to_string(number) + ": " + what + ": \"" +
                               line + "\"");
    };
    const std::string model_tag = "# model=";
    if (line.rfind(model_tag, 0) == 0) {
      std::string name = line.substr(model_tag.size());
      if (name.empty()) fail("a model without a name");
      for (const Model& m : models) {
        if (m.model.name == name) fail("model listed twice");
      }
      models.push_back({{name, {}}, {}, number});
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    std::istringstream words(line);
    std::string msr, index_text, equals, value_text, extra;
    words >> msr >> index_text >> equals >> value_text;
    uint64_t index = 0, value = 0;
    if (msr != "msr" || equals != "=" || !parse_hex(index_text, 8, &index) ||
        !parse_hex(value_text, 16, &value) || (words >> extra)) {
      fail("not \"msr IIIIIIII = VVVVVVVVVVVVVVVV\"");
    }
    if (models.empty()) fail("an MSR before the first \"# model=\" line");
    Model& m = models.back();
    if (!m.seen.emplace(static_cast<uint32_t>(index), value).second) fail("MSR listed twice");
    auto member = kept.find(static_cast<uint32_t>(index));
    if (member != kept.end()) m.model.msrs.*(member->second) = value;
  }
  if (models.empty()) throw std::runtime_error(source + ": no \"# model=\" line");
  std::vector<BochsModel> result;
  for (const Model& m : models) {
    check_complete(m, source);
    result.push_back(m.model);
  }
  return result;
}

const std::vector<BochsModel>& bochs_models() {
  static const std::vector<BochsModel> models = [] {
    std::string path = "tests/bochs/vmx_msrs_bochs27.txt";
    if (const char* set = std::getenv("VMXBOOT_BOCHS_MSRS")) path = set;
    std::ifstream file(path);
    if (!file) {
      throw std::runtime_error(path + ": cannot read the Bochs VMX MSR capture (run the tests "
                               "from the repository root, or set VMXBOOT_BOCHS_MSRS)");
    }
    return parse_capture(file, path);
  }();
  return models;
}

const BochsModel& model(const std::string& name) {
  for (const BochsModel& m : bochs_models()) {
    if (name == m.name) return m;
  }
  throw std::runtime_error("no Bochs model " + name + " in the capture");
}

}  // namespace bochs_vmx
