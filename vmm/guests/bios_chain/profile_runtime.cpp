// The chain guest's profile (guests/profile.h, docs/chain-mode.md): the
// VMM boots another BIOS disk through its real-mode loader
// (guest/chain/loader.asm), run as an unrestricted guest that owns the
// machine but for the VMM's memory and the ports its devices keep: COM1
// (shared with the VMM's console), ACPI PM1a_CNT (its power-off ends the
// run), PCI configuration space (its writes decided, SMRAM locked and the
// PIIX4's SMIs closed before it runs: devices/pci_*.h), the reset paths,
// APM control and, under an emulator's firmware, the Bochs BIOS's panic
// ports (devices/platform_ports.h), and the DMA engines' ports (the IDE
// bus master, the 8237s: no DMA reaches the VMM's memory,
// devices/bus_master.h, devices/isa_dma.h). It runs until it
// powers off, resets, halts with interrupts off, is stopped or runs out of
// time; the run ends with its result.
#include "guests/bios_chain/plan.h"

#include "ia32/cpuid.h"
#include "ia32/instructions.h"
#include "common/acpi.h"
#include "common/console.h"
#include "common/end_run.h"
#include "common/format.h"
#include "common/low_memory.h"
#include "common/madt.h"
#include "common/mcfg.h"
#include "common/uart16550.h"
#include "devices/local_apic.h"
#include "devices/pci_ecam.h"
#include "guests/bios_chain/devices.h"
#include "guests/bios_chain/handlers.h"
#include "guests/bios_chain/msr.h"
#include "machine.h"
#include "vmx/bringup/phases.h"
#include "vmx/exit_path.h"
#include "vmx/guest_timer.h"

namespace guests::bios_chain {

namespace {

using ia32::vmx::ExitReason;
using namespace vmx::exit_path;

uint64_t physical_address(const void* p) { return reinterpret_cast<uint64_t>(p); }

// GUEST_LIMIT=0: no bound, as a TSC span no machine reaches (the
// VMX-preemption timer still runs, restarted at its longest).
constexpr uint64_t unbounded_ticks = 1ull << 62;

// Whether the firmware is an emulator's: the ACPI RSDP's OEM ID is
// "BOCHS " (the Bochs BIOS and SeaBIOS as Bochs and QEMU build them).
bool firmware_is_emulator() {
  const acpi::IdentityMemory memory = acpi::identity_mapped_memory();
  char oem[6];
  if (!acpi::rsdp_oem_id(memory.view(), oem)) return false;
  for (int i = 0; i < 6; ++i) {
    if (oem[i] != "BOCHS "[i]) return false;
  }
  return true;
}

// ---------------------------------------------------------------- devices

// The CPU's local APIC as the firmware left it (IA32_APIC_BASE exists
// only where CPUID says there is an APIC).
ApicFound find_apic() {
  uint32_t r[4];
  cpuid(cpuid_leaf::features, 0, r);
  ApicFound apic{};
  apic.present = (r[3] & cpuid1_edx_apic) != 0;
  apic.has_x2apic = (r[2] & cpuid1_ecx_x2apic) != 0;
  if (apic.present) apic.base_msr = rdmsr(devices::apic::base_msr);
  cpuid(cpuid_leaf::address_sizes, 0, r);  // a 64-bit CPU has the leaf
  apic.physical_address_bits = r[0] & 0xFF;
  return apic;
}

// The MCFG's ECAM windows, each of which the VMM keeps (devices/pci_ecam.h),
// cut to the buses a chipset can decode where firmware listed more; none
// without an MCFG. One it cannot keep ends the run before the guest
// could write configuration space through it unseen.
acpi::Mcfg find_ecam(const layout::BootInfo& info) {
  const acpi::TableSearch found = acpi::find_table(acpi::identity_mapped_memory().view(), "MCFG");
  if (!found.found) return {};
  acpi::Mcfg mcfg = acpi::parse_mcfg(found.table.bytes, found.table.length);
  for (unsigned i = 0; mcfg.error == nullptr && i < mcfg.count; ++i) {
    bool trimmed = false;
    const acpi::McfgWindow listed = mcfg.windows[i];
    mcfg.windows[i] = devices::decodable_window(listed, info.e820, info.e820_count, trimmed);
    if (trimmed) {
      console::printf("vmx: MCFG lists segment %u buses %u-%u, which would reach the APICs at"
                      " 0xfec00000; E820 reserves buses %u-%u: those kept\n", listed.segment,
                      listed.first_bus, listed.last_bus, listed.first_bus,
                      mcfg.windows[i].last_bus);
    }
  }
  const char* why = mcfg.error != nullptr ? mcfg.error : devices::ecam_unkeepable(mcfg);
  if (why != nullptr) {
    console::printf("vmx: MCFG at 0x%lx: %s: the guest could reach PCI configuration space"
                    " where the VMM does not see it\n", found.table.phys, why);
    end_run("guest-unsupported", "reason=ecam");
  }
  for (unsigned i = 0; i < mcfg.count; ++i) {
    const acpi::McfgWindow& w = mcfg.windows[i];
    console::printf("vmx: PCI ECAM kept: segment %u buses %u-%u at 0x%lx (its stores decided as"
                    " 0xcfc's writes)\n", w.segment, w.first_bus, w.last_bus,
                    devices::pci::ecam_first(w));
  }
  return mcfg;
}

// The MADT's I/O APICs, each of which the VMM keeps (devices/io_apic.h;
// their addresses are 32 bits: below 4 GiB, in the VMM's identity map).
// More than it holds, or a MADT it cannot read, ends the run before the
// guest could program an SMI where the VMM does not see it.
madt::IoApics find_io_apics() {
  const acpi::TableSearch found = acpi::find_table(acpi::identity_mapped_memory().view(), "APIC");
  if (!found.found) return {};
  const madt::IoApics apics = madt::io_apics(found.table.bytes, found.table.length);
  const char* why = !apics.ok                             ? "its entries overrun the table"
                    : apics.count > madt::max_io_apics ? "more I/O APICs than the VMM keeps"
                                                       : nullptr;
  if (why != nullptr) {
    console::printf("vmx: MADT at 0x%lx: %s: the guest could program an I/O APIC where the VMM"
                    " does not see it\n", found.table.phys, why);
    end_run("guest-unsupported", "reason=io-apic");
  }
  for (uint32_t i = 0; i < apics.count; ++i) {
    console::printf("vmx: I/O APIC %u kept at 0x%x (GSI %u on): no SMI or INIT redirections\n",
                    apics.entries[i].id, apics.entries[i].address, apics.entries[i].gsi_base);
  }
  return apics;
}

// The PCI function as bus:device.function.
void print_pci_function(uint32_t f) {
  console::printf("%x:%x.%x", f >> 8, f >> 3 & 0x1F, f & 7);
}

void print_dma_kept(const State& s) {
  const devices::BusMaster& bm = s.bus_master;
  if (bm.pci_function == devices::no_pci_function) {
    console::printf("vmx: DMA kept: no bus-master IDE controller on PCI bus 0;");
  } else {
    console::printf("vmx: DMA kept: IDE bus master ");
    print_pci_function(bm.pci_function);
    if (bm.base != 0) {
      console::printf(" ports 0x%x-0x%x (PRD tables copied and checked);", bm.base,
                      bm.base + devices::bus_master_ports - 1);
    } else {
      console::printf(" (BAR4 unassigned);");
    }
  }
  console::printf(" the 8237s (no channel reaches the VMM)\n");
  console::printf("vmx:   DMA may reach %u ranges below 4 GiB: E820's usable RAM less the"
                  " VMM's memory\n",
                  s.dma_ram.count);
}

// The power-off end_run() kept is the Machine's (m.run): where it lies in
// the PIIX4's PM block, the PCI mediation moves its port with the block.
void attach(Machine& m, vmx::Vcpu& vcpu, uint64_t tsc_ticks_in_limit) {
  const acpi::PowerOff& off = end_run_keep_power_off();
  const AcpiPorts acpi =
      off.found ? AcpiPorts{off.pm1a_cnt, off.smi_cmd, off.acpi_enable, off.acpi_disable,
                            &m.run.power_off.power_off.pm1a_cnt}
                : AcpiPorts{};
  const layout::BootInfo& info = m.boot_info;
  const DmaInputs dma{info.e820,
                      info.e820_count < layout::E820_MAX_ENTRIES ? info.e820_count
                                                                 : layout::E820_MAX_ENTRIES,
                      layout::VMM_ADDR, layout::VMM_MEMORY_END};
  const madt::IoApics io_apics = find_io_apics();
  const acpi::Mcfg mcfg = find_ecam(m.boot_info);
  const MemoryRegisters registers{
      io_apics.entries, io_apics.count, mcfg.count != 0 ? &mcfg : nullptr, devices::identity_ecam_access(), &m.dma.holes[1],
      m.dma.active && m.dma.hole_count > 1 ? m.dma.hole_count - 1 : 0};
  if (!attach_devices(m.ports, m.mmio, m.bios_chain,
                      vmx::guest_timer::uart_byte_wait_ticks(tsc_ticks_in_limit), acpi,
                      firmware_is_emulator(), dma, find_apic(), registers)) {
    end_run("vmx-failed", "step=devices error=0");
  }
  // The last resort of the VMM's power-off: the PM block where firmware put it.
  const devices::pci::Platform& p = m.bios_chain.pci.platform;
  if (p.pm_power_off) {
    m.run.power_off.pm_home = {true, p.pm.bus, p.pm.device, p.pm.function, p.pm_home};
  }
  print_dma_kept(m.bios_chain);
  if (registers.remapping_unit_count != 0) {
    console::printf("vmx:   the DMA remapping units' registers: %u window(s) the guest reads,"
                    " its stores dropped\n", registers.remapping_unit_count);
  }
  vcpu.ports = &m.ports;
  vcpu.mmio = &m.mmio;
}

// ---------------------------------------------------------------- plan

// The memory types: the MTRRs as the firmware set them, read where
// CPUID.1:EDX.MTRR says they exist (the fixed ones where MTRRCAP.FIX says
// so); false without them (the EPT takes E820's rule then).
bool read_mtrrs(vmx::Mtrrs& mtrrs) {
  uint32_t r[4];
  cpuid(cpuid_leaf::features, 0, r);
  if ((r[3] & cpuid1_edx_mtrr) == 0) return false;
  mtrrs.cap = rdmsr(vmx::mtrr_msr::cap);
  if (!vmx::mtrr_describable(mtrrs.cap)) return false;
  mtrrs.def_type = rdmsr(vmx::mtrr_msr::def_type);
  if ((mtrrs.cap & vmx::mtrr_cap_fixed) != 0) {
    for (uint32_t i = 0; i < 11; ++i) mtrrs.fixed[i] = rdmsr(vmx::mtrr_msr::fixed[i]);
  }
  for (uint32_t n = 0; n < vmx::mtrr_variable_count(mtrrs.cap); ++n) {
    mtrrs.base[n] = rdmsr(vmx::mtrr_msr::variable_base0 + 2 * n);
    mtrrs.mask[n] = rdmsr(vmx::mtrr_msr::variable_base0 + 2 * n + 1);
  }
  return true;
}

// How far the EPT can map: the CPU's physical address width and its 1 GiB
// EPT pages.
vmx::EptReach ept_reach(const vmx::CapabilityMsrs& msrs) {
  return {physical_address_bits(), (msrs.ept_vpid & vmx::ept_vpid_cap_pages_1g) != 0};
}

vmx::IdentityEptTables& ept_tables() {
  return *reinterpret_cast<vmx::IdentityEptTables*>(uintptr_t{layout::IDENTITY_EPT_ADDR});
}

void print_memory_types(const State& s) {
  static const char names[8][3] = {"UC", "WC", "?", "?", "WT", "WP", "WB", "?"};
  console::printf("vmx:   memory types: %s:", s.has_mtrrs ? "MTRRs" : "E820's (no MTRRs)");
  static const uint32_t shown[] = {0x7000, 0xB8000, 0x100000, 0xFEC00000};
  for (uint32_t a : shown) console::printf(" 0x%x %s", a, names[identity_ept_type(ept_tables(), a)]);
  console::printf("\n");
}

void print_plan(const vmx::VmcsPlan& p, const State& s, const layout::GuestHeader& guest) {
  const uint64_t end = s.memory_map.mapped_end;
  console::printf("vmx: chain guest: real mode, unrestricted guest; EPT 0x%lx maps 0-%lu %s\n",
                  p.image.controls.ept_pointer, end >= (1ull << 40) ? end >> 40 : end >> 30,
                  end >= (1ull << 40) ? "TiB" : "GiB");
  console::printf("vmx:   but the VMM's 0x%x-0x%x\n", layout::VMM_ADDR, layout::VMM_MEMORY_END - 1);
  print_memory_types(s);
  if (s.has_apic) {
    const uint64_t base = s.apic.base_msr;
    console::printf("vmx:   local APIC: IA32_APIC_BASE 0x%lx (%s); %s, MSRs 0x1b and 0x830 written "
                    "through the VMM\n",
                    base,
                    devices::xapic_page_active(base) ? "xAPIC"
                    : devices::apic::mode_of(base) == devices::apic::Mode::x2apic ? "x2APIC"
                                                                                 : "disabled",
                    devices::xapic_page_active(base) ? "its page read-only to the guest"
                                                     : "no page decoded");
  }
  const bool by_default = guest.limit_seconds == layout::CHAIN_LIMIT_PLATFORM_DEFAULT;
  if (s.limit_seconds != 0) {
    console::printf("vmx: guest time bound %u s (VMX-preemption timer%s)\n", s.limit_seconds,
                    by_default ? "; the default under an emulator, GUEST_LIMIT= sets one" : "");
  } else {
    console::printf("vmx: guest time bound: none (%s)\n",
                    by_default ? "the default on a PC; GUEST_LIMIT= sets one" : "GUEST_LIMIT=0");
  }
}

[[noreturn]] void refuse(vmx::Vcpu& vcpu, Refusal why, const State& s) {
  vmx::bringup::leave_vmx_operation(vcpu);
  switch (why) {
    case Refusal::no_unrestricted_guest:
      console::printf("vmx: chain mode runs real mode as an unrestricted guest with EPT;"
                      " this CPU has not both\n");
      end_run("guest-unsupported", "reason=no-unrestricted-guest");
    case Refusal::no_preemption_timer:
      console::printf("vmx: chain mode bounds the guest with the VMX-preemption timer;"
                      " this CPU has none\n");
      end_run("guest-unsupported", "reason=no-preemption-timer");
    default:
      console::printf("vmx: chain mode: the BIOS reports %u KiB of conventional memory (40:13);"
                      " the loader's INT 15h stub needs %u KiB of it below 640 KiB\n",
                      s.base_memory_kib, layout::CHAIN_STUB_KIB);
      end_run("guest-unsupported", "reason=base-memory kib=%u", s.base_memory_kib);
  }
}

// Until VMX runs on every CPU, a processor the guest started would run
// outside the VMM: the guest's MADT shows it this one only (common/madt.h).
void show_one_processor() {
  const acpi::IdentityMemory memory = acpi::identity_mapped_memory();
  const acpi::TableSearch madt = acpi::find_table(memory.view(), "APIC");
  if (!madt.found) return;
  uint32_t regs[4];
  cpuid(cpuid_leaf::features, 0, regs);
  const uint32_t apic_id = regs[1] >> 24;  // CPUID.1:EBX[31:24], the initial APIC ID
  // Identity-mapped: the table in the guest's memory, written before it runs.
  auto* table = reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(madt.table.phys));
  const madt::Result r = madt::keep_one_processor(table, madt.table.length, apic_id);
  if (r.removed != 0) {
    console::printf("vmx: the guest's MADT shows it 1 of %u processors (VMX runs on this one"
                    " only)\n", r.processors);
  }
}

void make_plan(Machine& m, vmx::Vcpu& vcpu, vmx::PlanInputs in) {
  State& s = m.bios_chain;
  s.limit_seconds = limit_seconds(m.guest.limit_seconds, s.emulator);
  in.tsc_ticks_in_limit =
      vmx::guest_timer::seconds_in_ticks(in.tsc_ticks_in_limit, s.limit_seconds, unbounded_ticks);
  volatile uint8_t* bda = low_memory();
  s.base_memory_kib = bda[layout::BDA_BASE_MEMORY_KIB] | bda[layout::BDA_BASE_MEMORY_KIB + 1] << 8;
  s.has_mtrrs = read_mtrrs(s.mtrrs);
  s.guest_mtrrs = s.mtrrs;
  const layout::BootInfo& info = m.boot_info;
  const uint32_t e820_count =
      info.e820_count < layout::E820_MAX_ENTRIES ? info.e820_count : layout::E820_MAX_ENTRIES;
  vcpu.plan = plan(in, {m.guest, info.e820, e820_count, s.has_mtrrs ? &s.mtrrs : nullptr,
                        &ept_tables(), layout::IDENTITY_EPT_ADDR, layout::VMM_ADDR,
                        layout::VMM_MEMORY_END, s.base_memory_kib, &s.memory_map, vcpu.msr_bitmap,
                        physical_address(vcpu.msr_bitmap), &s.ept_high,
                        physical_address(&s.ept_high), ept_reach(m.msrs), &m.mmio});
  if (vcpu.plan.error == vmx::PlanError::profile) {
    refuse(vcpu, static_cast<Refusal>(vcpu.plan.profile_error), s);
  }
  vmx::bringup::accept_plan(vcpu, m.msrs);
  print_plan(vcpu.plan, s, m.guest);
  show_one_processor();
  s.hlt_activity = (ia32::vmx::VmxMisc{m.msrs.misc}.activity_states() & 1) != 0;
  vcpu.memory = vmx::guest_memory(vmx::GuestMemory::Kind::none, nullptr);
  vcpu.bound = vmx::guest_timer::TimeBound::of(in.tsc_ticks_in_limit, true, vcpu.plan.timer_shift, 0);
}

// ---------------------------------------------------------------- exits

// The guest's interrupts are its own (no external-interrupt exiting).
constexpr vmx::HandlerTable handlers = vmx::make_handler_table(
    handle_unexpected, {
                           {ExitReason::exception_or_nmi, handle_nmi_for_guest},
                           {ExitReason::nmi_window, handle_nmi_window},
                           {ExitReason::io_instruction, handle_io},
                           {ExitReason::ept_violation, handle_ept_violation},
                           {ExitReason::preemption_timer, handle_preemption_timer},
                           {ExitReason::vmcall, handle_vmcall},
                           {ExitReason::cpuid, handle_cpuid},
                           {ExitReason::hlt, handle_hlt},
                           {ExitReason::cr_access, handle_cr_access},
                           {ExitReason::rdmsr, handle_msr},
                           {ExitReason::wrmsr, handle_msr},
                           {ExitReason::invd, handle_invd},
                           {ExitReason::xsetbv, handle_xsetbv},
                       });

// ---------------------------------------------------------------- run

// The screen, shared with the guest through the BIOS's cursor (BDA 40:50,
// page 0): the guest's INT 10h output goes on below the VMM's last line, and
// the VMM's end below the guest's. Only while the BIOS shows page 0 of an
// 80x25 text mode (modes 2, 3, 7); else the cursor is not touched or used.
bool bios_shows_text_page0() {
  volatile uint8_t* bda = low_memory();
  const uint8_t mode = bda[layout::BDA_VIDEO_MODE] & 0x7F;
  return bda[layout::BDA_ACTIVE_PAGE] == 0 && (mode == 2 || mode == 3 || mode == 7);
}

void hand_the_screen_to_the_guest() {
  if (!bios_shows_text_page0()) return;
  const int row = console::row();
  low_memory()[layout::BDA_CURSOR_PAGE0] = 0;
  low_memory()[layout::BDA_CURSOR_PAGE0 + 1] = static_cast<uint8_t>(row < 25 ? row : 24);
}

// Read once, checked: the guest may have left anything there.
void take_the_screen_back() {
  const uint8_t col = low_memory()[layout::BDA_CURSOR_PAGE0];
  const uint8_t row = low_memory()[layout::BDA_CURSOR_PAGE0 + 1];
  if (bios_shows_text_page0() && row < 25 && col < 80) {
    console::move_screen_to(row, col);
    if (col == 0) return;
  }
  console::skip_screen_line();
}

// What the guest did with its local APIC through the VMM, where it did
// anything (the screen has few rows for the summary).
void print_apic(const devices::LocalApic& a) {
  if (a.icr_writes + a.register_writes + a.misshapen_writes + a.base_writes == 0) return;
  console::printf("vmx:   APIC: ICR writes %u (forwarded %u, SMI IPIs refused %u, NMIs to itself"
                  " delivered %u, ignored %u), other register writes %u, dropped (not 32 bits at a"
                  " 16-byte boundary) %u\n",
                  a.icr_writes, a.icr_forwarded, a.smi_refused, a.nmis_to_itself, a.icr_ignored,
                  a.register_writes, a.misshapen_writes);
  console::printf("vmx:   APIC: base writes %u, refused with #GP %u", a.base_writes, a.base_refused);
  if (a.base_refused != 0) {
    console::printf(" (last 0x%lx: %s)", a.last_refused_value,
                    devices::apic::base_refusal_name(a.last_refusal));
  }
  console::printf("; IA32_APIC_BASE now 0x%lx\n", a.base_msr);
}

// What the VMM found and set on the PCI bus before the guest ran
// (devices/pci_platform.h).
void print_pci_platform(const State& s) {
  const devices::PciPlatformReport& r = s.pci_platform;
  const devices::pci::Platform& p = s.pci.platform;
  if (r.host_ids == 0xFFFFFFFF) {
    console::printf("vmx: PCI: no host bridge at 0:0.0\n");
    return;
  }
  console::printf("vmx: PCI: host bridge %04x:%04x", r.host_ids & 0xFFFF, r.host_ids >> 16);
  if (p.smram != 0) {
    console::printf(", SMRAM control 0x%02x -> 0x%02x (closed and locked)\n", r.smram_before,
                    r.smram_after);
  } else {
    console::printf(" (its SMRAM control unknown: not locked)\n");
  }
  if (p.has_pm) {
    console::printf("vmx: PCI: PIIX4 PM %u:%u.%u, block 0x%x%s; its SMIs closed (APMC_EN %s, "
                    "SMI_EN %s)\n",
                    p.pm.bus, p.pm.device, p.pm.function, s.pm_block.base,
                    p.pm_power_off ? " (the VMM's power-off)" : "",
                    r.apmc_en_cleared ? "cleared" : "clear", r.smi_en_cleared ? "cleared" : "clear");
  }
}

// What the guest wrote to its I/O APICs, where the VMM refused some.
void print_io_apics(const devices::IoApics& a) {
  if (a.refused_smi + a.refused_init + a.misshapen_writes == 0) return;
  console::printf("vmx:   I/O APIC: writes %u, redirections refused: SMI %u, INIT %u (the last:"
                  " entry %u of 0x%lx, 0x%x); dropped (not 32 bits) %u\n",
                  a.writes, a.refused_smi, a.refused_init, a.last_refused_entry,
                  a.last_refused_at, a.last_refused_value, a.misshapen_writes);
}

// The guest's configuration writes the VMM refused or changed.
void print_pci_writes(const State& s) {
  const devices::PciConfig& pci = s.pci;
  if (pci.writes == 0 && s.pm_block.smi_enables_kept == 0) return;
  console::printf("vmx:   PCI configuration writes: %u (%u refused, %u with bits the VMM keeps, "
                  "%u block moves followed); GLBCTL SMI_EN kept clear %u times\n",
                  pci.writes, pci.refused, pci.kept, pci.moves, s.pm_block.smi_enables_kept);
  const uint32_t logged = pci.refused + pci.kept;
  for (uint32_t i = 0; i < logged && i < devices::pci_write_log_size; ++i) {
    const devices::PciWriteLog& w = pci.log[i];
    console::printf("vmx:     %s %u:%u.%u +0x%02x (%u bytes) 0x%x: %s\n",
                    w.refused ? "refused" : "kept", w.function.bus, w.function.device,
                    w.function.function, w.offset, w.bytes, w.value, w.why);
  }
  if (s.pm_block.base != 0) {
    console::printf("vmx:   PIIX4 PM block at 0x%x after the guest\n", s.pm_block.base);
  }
  if (s.ecam.misshapen_writes != 0) {
    console::printf("vmx:   ECAM stores no chipset defines (8 bytes, across a dword): %u dropped\n",
                    s.ecam.misshapen_writes);
  }
  const devices::KeptRegisters& units = s.remapping_registers;
  if (units.writes_dropped != 0) {
    console::printf("vmx:   DMA remapping units' registers: %u stores dropped (the last at"
                    " 0x%lx)\n", units.writes_dropped, units.last_address);
  }
}

// What the DMA engines were asked to do: the transfers the IDE controller
// ran from the VMM's copies, the tables refused (the last one's reason),
// the ISA channels kept masked.
void print_dma_summary(const State& s) {
  const devices::BusMaster& bm = s.bus_master;
  if (bm.pci_function != devices::no_pci_function) {
    for (unsigned n = 0; n < 2; ++n) {
      const devices::BusMasterChannel& c = bm.channel[n];
      console::printf("vmx:   DMA: IDE bus master %s: transfers started %u, PRD tables refused %u",
                      n == 0 ? "primary" : "secondary", c.started, c.refused);
      if (c.refused != 0) {
        console::printf(" (last: %s, entry %u, 0x%lx)",
                        devices::prd_problem_name(c.last_refusal.problem), c.last_refusal.entry,
                        c.last_refusal.address);
      }
      console::printf("\n");
    }
  }
  const devices::IsaDma& d = s.isa_dma;
  console::printf("vmx:   DMA: ISA channels: unmasks refused %u, masked on a change %u,"
                  " memory-to-memory refused %u, software requests dropped %u\n",
                  d.unmasks_refused, d.masked_on_change, d.memory_to_memory_refused,
                  d.requests_dropped);
}

// The proof that the code ran as a guest: its exits by reason, the ports it
// reached through the VMM, the CPUID leaves it asked.
void print_summary(const Machine& m, const vmx::ExitLog& log, uint64_t guest_ticks) {
  const State& s = m.bios_chain;
  vmx::bringup::print_exit_counts(log, "chain guest: ");
  uint32_t com1_in = 0, com1_out = 0;
  for (unsigned slot = 1; slot <= m.ports.ranges(); ++slot) {
    if (m.ports.range(static_cast<uint8_t>(slot)).device != &s.com1_device) continue;
    com1_out += log.stats.port_accesses[slot][0];
    com1_in += log.stats.port_accesses[slot][1];
  }
  console::printf("vmx:   I/O: COM1 0x3f8-0x3ff in %u out %u (%u bytes forwarded)", com1_in,
                  com1_out, s.com1.bytes_out);
  for (unsigned slot = 0; slot <= m.ports.ranges(); ++slot) {
    const uint32_t count = log.stats.port_accesses[slot][0] + log.stats.port_accesses[slot][1];
    if (count == 0) continue;
    if (slot == 0) {
      console::printf(", other %u", count);
      continue;
    }
    const devices::PortMap::Range& r = m.ports.range(static_cast<uint8_t>(slot));
    if (r.device != &s.com1_device) console::printf(", %s %u", r.out_name, count);
  }
  console::printf("\n");
  if (log.stats.denied_accesses != 0) {
    console::printf("vmx:   I/O denied: %u\n", log.stats.denied_accesses);
  }
  console::printf("vmx:   CPUID leaves asked (%u):", s.cpuid_leaf_count);
  const uint32_t kept = s.cpuid_leaf_count < 16 ? s.cpuid_leaf_count : 16;
  for (uint32_t i = 0; i < kept; ++i) console::printf(" 0x%x", s.cpuid_leaves[i]);
  console::printf("\n");
  console::printf("vmx:   INT 15h memory calls answered: %u (E820 buffers refused: %u)\n",
                  s.int15_calls, s.int15_refused);
  if (log.nmis_delivered != 0) {
    console::printf("vmx:   NMIs delivered to the guest: %u\n", log.nmis_delivered);
  }
  print_dma_summary(s);
  print_pci_writes(s);
  if (s.has_apic) print_apic(s.apic);
  print_io_apics(s.io_apics);
  console::printf("vmx:   %lu TSC ticks in the guest and its exits\n", guest_ticks);
}

// An INIT, SIPI or NMI that may reach another CPU, which runs without the
// VMM (result guest-unsupported), ended the run; it was not sent.
[[noreturn]] void end_by_ipi_to_another_cpu(const vmx::GuestEnd& end, const vmx::ExitLog& log) {
  const uint32_t low = static_cast<uint32_t>(end.detail);
  const uint32_t destination = static_cast<uint32_t>(end.detail2);
  const devices::apic::Icr icr{low, destination, false};
  const char* ipi = devices::apic::delivery_name(icr.delivery());
  char described[32];
  devices::describe_ipi_destination(low, destination, described, sizeof(described));
  console::printf("vmx: the guest sent an %s IPI (ICR 0x%x, destination 0x%x) that may reach"
                  " another CPU, which runs without the VMM: not sent\n",
                  ipi, low, destination);
  end_run("guest-unsupported", "reason=ipi-other-cpu ipi=%s dest=%s exits=%u", ipi, described,
          total_exits(log.stats));
}

void run(Machine& m, vmx::Vcpu& vcpu) {
  const State& s = m.bios_chain;
  const layout::GuestHeader& guest = m.guest;
  console::printf("vmx: power-off kept: PM1a_CNT 0x%x (the guest's power-off ends the run)\n",
                  s.pm1.pm1a_cnt);
  print_pci_platform(s);
  console::printf("vmx: VMLAUNCH: chain loader in real mode at %04x:%04x\n", guest.entry_cs,
                  guest.entry_ip);
  console::flush();
  hand_the_screen_to_the_guest();
  const vmx::bringup::GuestRun guest_run = vmx::bringup::launch(vcpu);
  console::flush();
  console::setup_serial_again();
  const vmx::ExitLog& log = vcpu.log;
  // A guest line cut off mid-way ends before the VMM's first.
  if (!s.com1.guest_line_start) console::end_serial_line();
  take_the_screen_back();

  if (guest_run.outcome == vmx::exit_guest_timeout) {
    vmx::print_exit(log.info, total_exits(log.stats), nullptr);
    print_summary(m, log, guest_run.guest_ticks);
    vmx::bringup::leave_vmx_operation(vcpu);
    console::printf("vmx: the chain guest used up its %u s (GUEST_LIMIT=)\n", s.limit_seconds);
    end_run("guest-timeout", "guest=chain limit-s=%u exits=%u com1-bytes=%u", s.limit_seconds,
            total_exits(log.stats), s.com1.bytes_out);
  }
  if (guest_run.outcome != vmx::exit_guest_done) {
    print_summary(m, log, guest_run.guest_ticks);
    vmx::bringup::end_if_entry_failed(vcpu, guest_run, m.msrs);
    vmx::bringup::print_denied(log);
    vmx::bringup::end_if_stopped(vcpu, guest_run);
  }
  // The guest's own end: its summary, not its last exit decoded.
  print_summary(m, log, guest_run.guest_ticks);
  vmx::bringup::leave_vmx_operation(vcpu);
  const vmx::GuestEnd& end = log.end;
  if (end.how == loader_failed) {
    const bool read = end.detail == 1;
    end_run("guest-failed", "guest=chain step=%s detail=0x%lx", read ? "read" : "signature",
            end.detail2);
  }
  if (end.how == devices::apic_end::ipi_other_cpu) end_by_ipi_to_another_cpu(end, log);
  if (end.how == devices::apic_end::init) {
    console::printf("vmx: the guest sent its own CPU an INIT (ICR 0x%lx): not sent, the run ends\n",
                    end.detail);
  }
  // poweroff: the value written to PM1a_CNT (detail); reset: the port
  // (detail) and the value (detail2); halt: the guest's RIP; bios-panic:
  // the port and the value (the Bochs BIOS's source line).
  console::printf("vmx: guest end %s: 0x%lx 0x%lx\n", end.how, end.detail, end.detail2);
  char port[16] = "";
  if (end.how == vmx::guest_end::reset) format(port, sizeof(port), " port=0x%lx", end.detail);
  end_run("ok", "guest=chain guest-end=%s%s exits=%u io-exits=%u cpuid-exits=%u com1-bytes=%u",
          end.how, port, total_exits(log.stats), exits_by(log.stats, ExitReason::io_instruction),
          exits_by(log.stats, ExitReason::cpuid), s.com1.bytes_out);
}

}  // namespace

extern const GuestProfile profile;
const GuestProfile profile{"chain", layout::GUEST_KIND_CHAIN, attach, make_plan, run,
                           &handlers};

}  // namespace guests::bios_chain
