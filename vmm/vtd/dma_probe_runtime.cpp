// The DMA probe (vtd/dma_probe.h). Compiled only into the probe build of
// the VMM (-DVMXBOOT_DMA_PROBE): the normal VMM has none of this.
#ifdef VMXBOOT_DMA_PROBE

#include "vtd/dma_probe.h"

#include "common/console.h"
#include "common/end_run.h"
#include "common/paging.h"
#include "ia32/instructions.h"
#include "ia32/io.h"
#include "layout.h"
#include "machine.h"
#include "vtd/remap.h"

namespace vtd::dma_probe {
namespace {

// The unit tests look for this text: only the probe build has it.
[[gnu::used]] const char probe_build_marker[] = "vmxboot: VMM built with the DMA probe";

// QEMU's edu device (hw/misc/edu.c): PCI 1234:11e8, its registers in BAR0
// (32-bit accesses; 64-bit ones too from 0x80 on): the identification at
// 0x00, the DMA source at 0x80, destination at 0x88 (64 bits each, masked
// by its dma_mask property, 28 bits unless the command line says more),
// count at 0x90, command at 0x98 (bit 0 start, cleared when done; bit 1 the
// direction: 1 from its buffer to memory). Its own 4 KiB buffer is at
// 0x40000 in its address space; QEMU stops the emulator for a DMA that
// would leave it, so every transfer here stays inside.
constexpr uint32_t edu_id = 0x11E81234;
constexpr uint32_t edu_identification = 0x010000ED;
constexpr uint32_t edu_dma_source = 0x80, edu_dma_destination = 0x88, edu_dma_count = 0x90,
                   edu_dma_command = 0x98;
constexpr uint32_t edu_dma_run = 1, edu_dma_to_memory = 2;
constexpr uint64_t edu_buffer = 0x40000;
// QEMU carries a transfer out 100 ms after it was started; this many reads
// of the command register take several seconds.
constexpr uint32_t dma_polls = 50000000;
constexpr uint32_t bytes = 64;

// Ordinary RAM for the transfers: stage2's staging area, unused once the
// VMM has moved to its place (the probe runs no guest).
constexpr uint64_t ram_source = layout::STAGING_ADDR;
constexpr uint64_t ram_arrived = layout::STAGING_ADDR + 0x1000;
constexpr uint64_t ram_after_read = layout::STAGING_ADDR + 0x2000;
constexpr uint64_t ram_after_high_read = layout::STAGING_ADDR + 0x3000;

struct Edu {
  uint8_t device;   // on bus 0, function 0
  uint64_t registers;
  uint16_t source_id() const { return static_cast<uint16_t>(device << 3); }
};

uint32_t pci_read(uint8_t device, uint8_t offset) {
  outl(0xCF8, 0x80000000u | uint32_t{device} << 11 | offset);
  return inl(0xCFC);
}

void pci_write(uint8_t device, uint8_t offset, uint32_t value) {
  outl(0xCF8, 0x80000000u | uint32_t{device} << 11 | offset);
  outl(0xCFC, value);
}

volatile uint32_t& reg32(uint64_t address) { return *reinterpret_cast<volatile uint32_t*>(address); }
volatile uint64_t& reg64(uint64_t address) { return *reinterpret_cast<volatile uint64_t*>(address); }
volatile uint8_t* memory(uint64_t address) { return reinterpret_cast<volatile uint8_t*>(address); }

[[noreturn]] void failed(const char* step) { end_run("dma-probe-failed", "step=%s", step); }

// Bus 0 only: QEMU puts the edu device there.
bool find_edu(Edu& edu) {
  for (uint8_t device = 0; device < 32; ++device) {
    if (pci_read(device, 0) != edu_id) continue;
    const uint32_t bar = pci_read(device, 0x10);
    if ((bar & 7) != 0 || (bar & ~0xFu) == 0) return false;  // a 32-bit memory BAR, assigned
    pci_write(device, 0x04, pci_read(device, 0x04) | 6);      // memory space, bus master
    edu = {device, bar & ~0xFu};
    return reg32(edu.registers) == edu_identification;
  }
  return false;
}

bool transfer(const Edu& edu, uint64_t source, uint64_t destination, bool to_memory) {
  reg64(edu.registers + edu_dma_source) = source;
  reg64(edu.registers + edu_dma_destination) = destination;
  reg32(edu.registers + edu_dma_count) = bytes;
  reg32(edu.registers + edu_dma_command) = edu_dma_run | (to_memory ? edu_dma_to_memory : 0);
  for (uint32_t i = 0; i < dma_polls; ++i) {
    if ((reg32(edu.registers + edu_dma_command) & edu_dma_run) == 0) return true;
  }
  return false;
}

void copy(uint8_t* to, uint64_t from) {
  for (uint32_t i = 0; i < bytes; ++i) to[i] = memory(from)[i];
}

void fill(uint64_t at, const uint8_t* from) {
  for (uint32_t i = 0; i < bytes; ++i) memory(at)[i] = from[i];
}

bool same(uint64_t at, const uint8_t* expected) {
  for (uint32_t i = 0; i < bytes; ++i) {
    if (memory(at)[i] != expected[i]) return false;
  }
  return true;
}

// The fault records every unit holds now, printed and cleared; whether one
// of them is the edu device's `read` (or write) at `page`.
bool fault_recorded(const State& s, const Edu& edu, uint64_t page, bool read, uint32_t& count) {
  bool found = false;
  for (uint32_t u = 0; u < s.dmar.unit_count; ++u) {
    for (uint32_t i = 0; i < s.caps[u].fault_records; ++i) {
      const Fault f = take_fault(s.dmar.units[u].register_base, s.caps[u], i);
      if (!f.recorded) continue;
      ++count;
      console::printf("dma-probe:   fault record %u of unit %u: %s at 0x%lx from %02x:%02x.%x,"
                      " reason 0x%x (%s)\n", i, u, f.read ? "read" : "write", f.address,
                      f.source_id >> 8, (f.source_id >> 3) & 31, f.source_id & 7, f.reason,
                      fault_reason_name(f.reason));
      found = found || (f.address == page && f.read == read && f.source_id == edu.source_id());
    }
  }
  return found;
}

// The CPU's view of RAM above 4 GiB. The VMM's page tables (stage2's,
// common/paging.h) map 0-4 GiB alone: for one access the probe lends
// itself the page that maps the linear 1 GiB (a 2 MiB page, or a 1 GiB one
// where the CPU has them; memory neither the VMM nor the probe uses),
// pointed at the RAM wanted, and puts it back after.
class HighWindow {
 public:
  // `physical`: `bytes` that lie in one 2 MiB page.
  explicit HighWindow(uint64_t physical) {
    const auto* pml4 = reinterpret_cast<uint64_t*>(read_cr3() & paging::address_mask);
    auto* pdpt = reinterpret_cast<uint64_t*>(paging::entry_address(pml4[0]));
    uint64_t size = paging::page_1g;
    entry_ = &pdpt[paging::pdpt_index(linear)];
    if ((*entry_ & paging::page_size) == 0) {
      entry_ = reinterpret_cast<uint64_t*>(paging::entry_address(*entry_)) +
               paging::pd_index(linear);
      size = paging::page_2m;
    }
    saved_ = *entry_;
    *entry_ = (physical & paging::address_mask & ~(size - 1)) | (saved_ & 0xFFF);
    write_cr3(read_cr3());  // the TLB flushed: the stage2 tables set no global pages
    at_ = linear + (physical & (size - 1));
  }
  ~HighWindow() {
    *entry_ = saved_;
    write_cr3(read_cr3());
  }
  uint64_t at() const { return at_; }

 private:
  static constexpr uint64_t linear = 1ull << 30;
  uint64_t* entry_;
  uint64_t saved_;
  uint64_t at_;
};

// RAM above 4 GiB at `target` (`bytes` in one 2 MiB page): the device
// writes `pattern` there (the CPU must find it), then reads what the CPU
// wrote there instead into its buffer and writes that to low RAM (it must
// arrive). Whether both did.
bool high_ram_reached(const State& s, const Edu& edu, uint64_t target, const uint8_t* pattern,
                      uint32_t& faults) {
  uint8_t zeros[bytes] = {}, other[bytes];
  for (uint32_t i = 0; i < bytes; ++i) other[i] = static_cast<uint8_t>(~pattern[i]);
  {
    const HighWindow w(target);
    fill(w.at(), zeros);
  }
  fill(ram_source, pattern);
  if (!transfer(edu, ram_source, edu_buffer, false) ||
      !transfer(edu, edu_buffer, target, true)) {
    failed("dma-timeout");
  }
  bool written;
  {
    const HighWindow w(target);
    written = same(w.at(), pattern);
    fill(w.at(), other);
  }
  for (uint32_t i = 0; i < bytes; ++i) memory(ram_after_high_read)[i] = 0;
  if (!transfer(edu, target, edu_buffer, false) ||
      !transfer(edu, edu_buffer, ram_after_high_read, true)) {
    failed("dma-timeout");
  }
  const bool read = same(ram_after_high_read, other);
  console::printf("dma-probe: edu buffer -> RAM 0x%lx above 4 GiB: %s; RAM 0x%lx -> edu buffer"
                  " -> RAM 0x%lx: %s\n", target, written ? "arrived" : "DID NOT ARRIVE", target,
                  ram_after_high_read, read ? "arrived" : "DID NOT ARRIVE");
  if (!written || !read) fault_recorded(s, edu, target & ~0xFFFull, !written, faults);
  return written && read;
}

// A transfer the tables must block: the bytes at `target` (the VMM's) as
// they were, a fault recorded. Returns whether the bytes stayed.
bool blocked_write(const State& s, const Edu& edu, const char* what, uint64_t target,
                   bool& recorded, uint32_t& faults) {
  uint8_t before[bytes];
  copy(before, target);
  if (!transfer(edu, edu_buffer, target, true)) failed("dma-timeout");
  const bool intact = same(target, before);
  console::printf("dma-probe: edu buffer -> %s 0x%lx: %s\n", what, target,
                  intact ? "blocked, its bytes as they were" : "WRITTEN");
  recorded = fault_recorded(s, edu, target & ~0xFFFull, false, faults) && recorded;
  return intact;
}

}  // namespace

void before_vmx_check(Machine& m) {
  asm volatile("" : : "r"(probe_build_marker));
  console::printf("dma-probe: the probe build: DMA remapping, then QEMU's edu device aimed at"
                  " memory\n");
  protect_vmm_memory(m.dma, m.boot_info);
  const State& s = m.dma;
  if (!s.active) failed("remapping");
  Edu edu;
  if (!find_edu(edu)) failed("edu");
  console::printf("dma-probe: edu at 00:%02x.0, registers at 0x%lx\n", edu.device, edu.registers);

  uint8_t pattern[bytes];
  for (uint32_t i = 0; i < bytes; ++i) pattern[i] = static_cast<uint8_t>(0x5A + 7 * i);
  for (uint32_t i = 0; i < bytes; ++i) memory(ram_source)[i] = pattern[i];
  for (uint32_t i = 0; i < bytes; ++i) memory(ram_arrived)[i] = 0;
  if (!transfer(edu, ram_source, edu_buffer, false) ||
      !transfer(edu, edu_buffer, ram_arrived, true)) {
    failed("dma-timeout");
  }
  const bool arrived = same(ram_arrived, pattern);
  console::printf("dma-probe: RAM 0x%lx -> edu buffer -> RAM 0x%lx: %s\n", ram_source,
                  ram_arrived, arrived ? "arrived" : "DID NOT ARRIVE");
  if (!arrived) failed("ram");

  // RAM above 4 GiB, as the E820 map has it (not as the tables say they
  // reach it): its first bytes and its last.
  const HighRam& high = s.high_ram;
  const char* high_result = "none";
  if (high.count == 0) {
    console::printf("dma-probe: no RAM above 4 GiB: no DMA there tried\n");
  } else {
    uint32_t faults_high = 0;
    const uint64_t first = high.ranges[0].first;
    const uint64_t last = high.ranges[high.count - 1].end - bytes;
    if (!high_ram_reached(s, edu, first, pattern, faults_high) ||
        (last != first && !high_ram_reached(s, edu, last, pattern, faults_high))) {
      failed("high-ram");
    }
    high_result = "arrived";
  }

  bool recorded = true;
  uint32_t faults = 0;
  const bool vmm = blocked_write(s, edu, "the VMM", layout::VMM_ADDR, recorded, faults);
  const uint64_t root = reinterpret_cast<uint64_t>(s.tables.root);
  const bool tables = blocked_write(s, edu, "the root table", root, recorded, faults);

  // A read of the VMM's memory: the device must not learn its bytes.
  uint8_t vmm_bytes[bytes];
  copy(vmm_bytes, layout::VMM_ADDR);
  if (!transfer(edu, layout::VMM_ADDR, edu_buffer, false) ||
      !transfer(edu, edu_buffer, ram_after_read, true)) {
    failed("dma-timeout");
  }
  const bool read_blocked = !same(ram_after_read, vmm_bytes);
  console::printf("dma-probe: the VMM 0x%x -> edu buffer -> RAM 0x%lx: %s\n", layout::VMM_ADDR,
                  ram_after_read,
                  read_blocked ? "blocked, the device did not get the VMM's bytes"
                               : "THE DEVICE READ THE VMM'S BYTES");
  recorded = fault_recorded(s, edu, layout::VMM_ADDR, true, faults) && recorded;

  if (!vmm || !tables || !read_blocked) {
    end_run("dma-reached-vmm", "vmm=%s tables=%s vmm-read=%s", vmm ? "intact" : "written",
            tables ? "intact" : "written", read_blocked ? "blocked" : "read");
  }
  if (!recorded) failed("fault-record");
  end_run("dma-blocked", "edu=00:%02x.0 ram=arrived high-ram=%s vmm=intact tables=intact"
          " vmm-read=blocked faults=%u", edu.device, high_result, faults);
}

}  // namespace vtd::dma_probe

#endif
