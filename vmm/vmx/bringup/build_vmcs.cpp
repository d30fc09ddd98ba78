// Phase 6: the VMCS. The host is described as the VMM runs now in VMX
// operation (SDM 28.5: what a VM exit loads), the guest by its checked
// header and its clock; the pure plan (vmx/plan.h) decides everything from
// these and the capability MSRs; its image is written through machine[] in
// one loop, the only VMWRITEs before launch.
#include "vmx/bringup/phases.h"

#include "cpu_tables.h"
#include "ia32/cpuid.h"
#include "ia32/instructions.h"
#include "ia32/vmx/capabilities.h"
#include "common/low_memory.h"
#include "common/console.h"
#include "common/descriptors.h"
#include "common/end_run.h"
#include "vmx/exits.h"
#include "vmx/fault_cases.h"
#include "vmx/guest_timer.h"

// vmm/vmm.ld: the VMM's first loaded byte.
extern "C" const uint8_t __vmm_start[];

namespace vmx::bringup {

namespace {

namespace msr = ia32::vmx::msr;
using ia32::vmx::VmxResult;

// All in .bss, above VMM_ADDR (identity-mapped: physical addresses too):
// nothing of the VMM lies in the guest's 4 MiB (checked below).
alignas(4096) uint8_t io_bitmap_a[4096];
alignas(4096) uint8_t io_bitmap_b[4096];
alignas(4096) uint8_t msr_bitmap[msr_bitmap_bytes];  // chain mode's
// Host RSP after every VM exit: the exit handlers run here.
alignas(16) uint8_t exit_stack[16384];
// Guest-physical memory where the CPU has EPT (vmx/ept.h).
EptTables ept_tables;
// Without EPT, the guest's page directory: above 4 MiB, outside the
// guest's one 4 MiB page, so the guest cannot edit its own paging to reach
// beyond it (CR3 loads exit; CR0/CR4 belong to the host).
alignas(4096) uint32_t host_held_page_directory[1024];

VmcsPlan plan;

uint64_t physical_address(const void* p) { return reinterpret_cast<uint64_t>(p); }

// The state a VM exit loads: the VMM as it runs now (RSP and RIP, to the
// exit stub on its own stack, are the plan's).
HostState describe_host() {
  HostState host{};
  uint16_t s;
  asm volatile("mov %%cs, %0" : "=r"(s));
  host.cs_selector = s;
  asm volatile("mov %%ss, %0" : "=r"(s));
  host.ss_selector = s;
  asm volatile("mov %%ds, %0" : "=r"(s));
  host.ds_selector = s;
  asm volatile("mov %%es, %0" : "=r"(s));
  host.es_selector = s;
  asm volatile("mov %%fs, %0" : "=r"(s));
  host.fs_selector = s;
  asm volatile("mov %%gs, %0" : "=r"(s));
  host.gs_selector = s;
  asm volatile("str %0" : "=r"(s));
  host.tr_selector = s;
  if (host.tr_selector == 0) {
    leave_vmx_operation();
    end_run("vmx-failed", "step=host-state error=0 tr=0");
  }
  descriptors::TableRegister64 gdtr, idtr;
  asm volatile("sgdt %0" : "=m"(gdtr));
  asm volatile("sidt %0" : "=m"(idtr));
  host.gdtr_base = gdtr.base;
  host.idtr_base = idtr.base;
  host.tr_base = cpu_tables::tss_base();  // the TSS TR holds (cpu_tables::install)
  host.cr0 = read_cr0();
  host.cr3 = read_cr3();
  host.cr4 = read_cr4();
  host.fs_base = rdmsr(msr::fs_base);
  host.gs_base = rdmsr(msr::gs_base);
  host.sysenter_cs = static_cast<uint32_t>(rdmsr(msr::sysenter_cs));
  host.sysenter_esp = rdmsr(msr::sysenter_esp);
  host.sysenter_eip = rdmsr(msr::sysenter_eip);
  host.ia32_pat = rdmsr(msr::pat);
  host.ia32_efer = rdmsr(msr::efer);
  return host;
}

// Whether the ACPI RSDP (in the BIOS area E0000h-FFFFFh, 16-byte aligned,
// ACPI 5.2.5.1) names the emulators' firmware: OEM ID "BOCHS " (the Bochs
// BIOS and SeaBIOS as Bochs and QEMU build them).
bool firmware_is_emulator() {
  for (uintptr_t a = 0xE0000; a < 0x100000; a += 16) {
    const auto* p = reinterpret_cast<const volatile char*>(a);
    bool match = true;
    for (int i = 0; i < 8 && match; ++i) match = p[i] == "RSD PTR "[i];
    if (!match) continue;
    for (int i = 0; i < 6; ++i) {
      if (p[9 + i] != "BOCHS "[i]) return false;
    }
    return true;
  }
  return false;
}

// Chain mode: the BDA's word as read once before VMLAUNCH, and the memory
// map the VMM answers the guest's INT 15h with.
uint32_t guest_base_memory_kib;
GuestMemoryMap guest_memory_map;

[[noreturn]] void refuse_plan(const VmcsPlan& p, const CapabilityMsrs& msrs) {
  leave_vmx_operation();
  switch (p.error) {
    case PlanError::controls: {
      const ControlError& e = p.control_error;
      console::printf("vmx: %s control bit %u (%s) %s (MSR 0x%x)\n",
                      ia32::vmx::control_word_name(e.word), e.bit, e.bit_name,
                      e.required_by_cpu ? "must be 1 but may not be" : "is wanted but not allowed",
                      capability_msr_index(msrs, e.word));
      end_run("vmx-failed", "step=controls word=%s bit=%u name=%s",
              ia32::vmx::control_word_name(e.word), e.bit, e.bit_name);
    }
    case PlanError::guest_cr0:
    case PlanError::guest_cr4: {
      const bool cr0 = p.error == PlanError::guest_cr0;
      const char* name = cr0 ? "guest-cr0" : "guest-cr4";
      console::printf("vmx: %s bits 0x%lx not allowed in VMX operation (FIXED1 0x%lx)\n", name,
                      p.fixed_error.forbidden, cr0 ? msrs.cr0_fixed1 : msrs.cr4_fixed1);
      end_run("vmx-failed", "step=%s-fixed-bits error=0", name);
    }
    case PlanError::no_unrestricted_guest:
      console::printf("vmx: chain mode runs real mode as an unrestricted guest with EPT;"
                      " this CPU has not both\n");
      end_run("guest-unsupported", "reason=no-unrestricted-guest");
    case PlanError::no_preemption_timer:
      console::printf("vmx: chain mode bounds the guest with the VMX-preemption timer;"
                      " this CPU has none\n");
      end_run("guest-unsupported", "reason=no-preemption-timer");
    case PlanError::memory_map:
      console::printf("vmx: chain mode: the BIOS reports %u KiB of conventional memory (40:13);"
                      " the loader's INT 15h stub needs %u KiB of it below 640 KiB\n",
                      guest_base_memory_kib, layout::CHAIN_STUB_KIB);
      end_run("guest-unsupported", "reason=base-memory kib=%u", guest_base_memory_kib);
    default:
      console::printf("vmx: ept failed: the guest's memory lies beyond what the EPT maps\n");
      end_run("vmx-failed", "step=ept error=0");
  }
}

// Chain mode's memory types: the MTRRs as the firmware set them, read where
// CPUID.1:EDX.MTRR says they exist (the fixed ones where MTRRCAP.FIX says
// so); null without them (the EPT takes E820's rule then).
Mtrrs mtrrs;
const Mtrrs* chain_mtrrs;  // &mtrrs once read, else null

const Mtrrs* read_mtrrs() {
  uint32_t r[4];
  cpuid(cpuid_leaf::features, 0, r);
  if ((r[3] & cpuid1_edx_mtrr) == 0) return nullptr;
  mtrrs.cap = rdmsr(mtrr_msr::cap);
  if (!mtrr_describable(mtrrs.cap)) return nullptr;
  mtrrs.def_type = rdmsr(mtrr_msr::def_type);
  if ((mtrrs.cap & mtrr_cap_fixed) != 0) {
    for (uint32_t i = 0; i < 11; ++i) mtrrs.fixed[i] = rdmsr(mtrr_msr::fixed[i]);
  }
  for (uint32_t n = 0; n < mtrr_variable_count(mtrrs.cap); ++n) {
    mtrrs.base[n] = rdmsr(mtrr_msr::variable_base0 + 2 * n);
    mtrrs.mask[n] = rdmsr(mtrr_msr::variable_base0 + 2 * n + 1);
  }
  return chain_mtrrs = &mtrrs;
}

void print_memory_types(const Mtrrs* m) {
  static const char names[8][3] = {"UC", "WC", "?", "?", "WT", "WP", "WB", "?"};
  console::printf("vmx:   memory types: %s:", m != nullptr ? "MTRRs" : "E820's (no MTRRs)");
  const auto& ept = *reinterpret_cast<const ChainEptTables*>(uintptr_t{layout::CHAIN_EPT_ADDR});
  static const uint32_t shown[] = {0x7000, 0xB8000, 0x100000, 0xFEC00000};
  for (uint32_t a : shown) {
    console::printf(" 0x%x %s", a, names[chain_ept_type(ept, a)]);
  }
  console::printf("\n");
}

void print_plan(const VmcsPlan& p, const layout::GuestHeader& guest) {
  const ControlWords& c = p.image.controls.words;
  console::printf("vmx: controls: pin 0x%x, primary 0x%x, secondary 0x%x,\n", c.pin_based,
                  c.primary_processor, c.secondary_processor);
  console::printf("vmx:   exit 0x%x, entry 0x%x\n", c.exit, c.entry);
  if (p.chain) {
    console::printf("vmx: chain guest: real mode, unrestricted guest; EPT 0x%lx maps 0-4 GiB\n",
                    p.image.controls.ept_pointer);
    console::printf("vmx:   but the VMM's 0x%x-0x%x\n", layout::VMM_ADDR,
                    layout::VMM_MEMORY_END - 1);
    print_memory_types(chain_mtrrs);
    const bool by_default = guest.limit_seconds == layout::CHAIN_LIMIT_PLATFORM_DEFAULT;
    if (p.limit_seconds != 0) {
      console::printf("vmx: guest time bound %u s (VMX-preemption timer%s)\n", p.limit_seconds,
                      by_default ? "; the default under an emulator, GUEST_LIMIT= sets one" : "");
    } else {
      console::printf("vmx: guest time bound: none (%s)\n",
                      by_default ? "the default on a PC; GUEST_LIMIT= sets one" : "GUEST_LIMIT=0");
    }
    return;
  }
  if (p.ept) {
    console::printf("vmx: guest memory: EPT 0x%lx maps 0x%x-0x%x\n", p.image.controls.ept_pointer,
                    layout::GUEST_ADDR, layout::GUEST_ADDR + guest.memory_bytes - 1);
    console::printf("vmx:   and 0xb8000-0xbffff only\n");
  } else {
    console::printf("vmx: guest memory: no EPT: its 4 MiB page; page directory held\n");
    console::printf("vmx:   by the VMM at 0x%lx\n", physical_address(host_held_page_directory));
  }
  console::printf("vmx: guest time bound %u ms (%s)%s\n", guest_timer::limit_ms,
                  p.preemption_timer ? "VMX-preemption timer" : "PIT",
                  p.nmi_exiting ? "; host NMIs exit" : "");
}

bool vmwrite_field(void* context, uint32_t field, uint64_t value) {
  const VmxResult r = ia32::vmx::vmwrite(field, value);
  *static_cast<VmxResult*>(context) = r;
  return r == VmxResult::success;
}

}  // namespace

// Chain mode with GUEST_LIMIT=0: no bound, as a TSC span no machine reaches
// (the VMX-preemption timer still runs, restarted at its longest).
constexpr uint64_t chain_unbounded_ticks = 1ull << 62;

const VmcsPlan& build_vmcs(const CapabilityMsrs& msrs, const layout::GuestHeader& guest,
                           const layout::BootInfo& boot_info) {
  // Nothing the VMM keeps for VMX may lie in the guest's 4 MiB page.
  if (physical_address(__vmm_start) < 0x400000) {
    leave_vmx_operation();
    end_run("vmx-failed", "step=layout error=0 vmm-below-4mib=yes");
  }
  // The TSC against the PIT on every CPU: the deadline that counts the
  // exits' time, and the COM1 wait, are in TSC ticks (vmx/guest_timer.h).
  const uint64_t tsc_ticks_in_limit = guest_timer::tsc_ticks_in_limit();
  if (tsc_ticks_in_limit == 0) {
    leave_vmx_operation();
    end_run("vmx-failed", "step=guest-clock error=0 pit-channel0=unusable");
  }
  // Chain mode: its own bound, the firmware's memory map, the power-off
  // port (kept now: the guest's power-off is caught there), its EPT.
  uint64_t ticks_in_limit = tsc_ticks_in_limit;
  ChainInputs chain{};
  if (guest.kind == layout::GUEST_KIND_CHAIN) {
    const bool emulator = firmware_is_emulator();
    const uint32_t seconds = guest_timer::chain_limit_seconds(guest.limit_seconds, emulator);
    ticks_in_limit = guest_timer::chain_limit_ticks(tsc_ticks_in_limit, seconds,
                                                    chain_unbounded_ticks);
    const acpi::PowerOff& off = end_run_keep_power_off();
    volatile uint8_t* bda = low_memory();
    guest_base_memory_kib =
        bda[layout::BDA_BASE_MEMORY_KIB] | bda[layout::BDA_BASE_MEMORY_KIB + 1] << 8;
    chain = {boot_info.e820,
             boot_info.e820_count < layout::E820_MAX_ENTRIES ? boot_info.e820_count
                                                             : layout::E820_MAX_ENTRIES,
             read_mtrrs(),
             off.found ? off.pm1a_cnt : uint16_t{0},
             reinterpret_cast<ChainEptTables*>(uintptr_t{layout::CHAIN_EPT_ADDR}),
             layout::CHAIN_EPT_ADDR,
             layout::VMM_ADDR,
             layout::VMM_MEMORY_END,
             guest_base_memory_kib,
             &guest_memory_map,
             emulator,
             seconds,
             msr_bitmap,
             physical_address(msr_bitmap)};
  }
  const PlanInputs inputs{
      msrs,
      describe_host(),
      reinterpret_cast<uint64_t>(&vmx_exit_stub),
      physical_address(exit_stack + sizeof(exit_stack)),
      guest,
      layout::GUEST_ADDR,
      ticks_in_limit,
      {io_bitmap_a, io_bitmap_b, physical_address(io_bitmap_a), physical_address(io_bitmap_b),
       &ept_tables, physical_address(&ept_tables), host_held_page_directory,
       physical_address(host_held_page_directory)},
      chain,
  };
  plan = plan_vmcs(inputs);
  if (plan.error != PlanError::none) refuse_plan(plan, msrs);
  print_plan(plan, guest);
  fault_cases::after_vmcs_built(msrs, plan.image);

  VmxResult result = VmxResult::success;
  const MachineWriteResult written = write_machine(plan.image, {&result, vmwrite_field});
  if (!written.ok) {
    console::printf("vmx: VMWRITE of field 0x%04x (value 0x%lx) failed\n",
                    ia32::vmx::encoding(written.failed->field),
                    machine_value(plan.image, *written.failed));
    fail_instruction("vmwrite", result);
  }
  console::printf("vmx: VMCS written from machine[]: %u fields\n", written.written);
  return plan;
}

}  // namespace vmx::bringup
