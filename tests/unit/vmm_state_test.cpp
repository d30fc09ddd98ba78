// The VMM's mutable state at namespace scope is one array of Vcpus and one
// Machine (vmm/machine.h): read from the symbol table of the VMM `make`
// built ($VMXBOOT_BUILD, default build/), every object in its writable
// sections (.data, .bss) but the linker's own markers. A file-scope
// variable added anywhere in the VMM, a static in a function, a buffer in
// the assembly, shows up here by name.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>
#include <string>

namespace {

std::string build_folder() {
  const char* set = std::getenv("VMXBOOT_BUILD");
  return set != nullptr ? set : "build";
}

// "nm --defined-only" of the VMM: the names of its symbols in writable
// data (types b, B, d, D, and the small-data g, G, s, S).
std::set<std::string> writable_symbols(const std::string& elf) {
  std::set<std::string> names;
  const std::string command = "nm --defined-only '" + elf + "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return names;
  char line[512];
  while (fgets(line, sizeof line, pipe.get()) != nullptr) {
    std::istringstream fields(line);
    std::string address, type, name;
    if (!(fields >> address >> type >> name)) continue;
    if (std::string("bBdDgGsS").find(type) != std::string::npos) names.insert(name);
  }
  return names;
}

TEST(VmmState, OnlyTheVcpusAndTheMachineAreMutableAtNamespaceScope) {
  const std::string elf = build_folder() + "/vmm.elf";
  std::set<std::string> names = writable_symbols(elf);
  ASSERT_FALSE(names.empty()) << elf << ": no symbols (run `make`)";
  // The linker's markers of the sections' bounds (vmm/vmm.ld): addresses, not objects.
  for (const char* marker : {"__bss_start", "__bss_end", "__vmm_end"}) names.erase(marker);
  EXPECT_EQ(names, (std::set<std::string>{"machine", "vcpus"}));
}

}  // namespace
