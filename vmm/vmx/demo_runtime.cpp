// The VMX demo's main line (vmx/demo.h). 64-bit VMM only: privileged
// instructions throughout; the decisions it takes are in the pure, tested
// parts (controls, machine, guest_state, io_emulation).
#include "vmx/demo.h"
#include "vmx/entry_checks.h"

#include <stdarg.h>

#include "guest_header.h"
#include "ia32/instructions.h"
#include "ia32/vmx/capabilities.h"
#include "ia32/vmx/controls.h"
#include "ia32/vmx/instruction_error.h"
#include "ia32/vmx/instructions.h"
#include "layout.h"
#include "common/console.h"
#include "common/crc32c.h"
#include "common/end_run.h"
#include "common/format.h"
#include "common/uart16550.h"
#include "vmx/controls.h"
#include "vmx/ept.h"
#include "vmx/exits.h"
#include "vmx/guest_header_check.h"
#include "vmx/guest_memory.h"
#include "vmx/guest_state.h"
#include "vmx/guest_timer.h"
#include "vmx/machine.h"

// vmm/vmm.ld: the VMM's loaded bytes (code, read-only data, data).
extern "C" const uint8_t __vmm_start[];
extern "C" const uint8_t __vmm_loaded_end[];

namespace vmx {

using ia32::vmx::FixedBits;
using ia32::vmx::VmcsField;
using ia32::vmx::VmxBasic;
using ia32::vmx::VmxResult;
namespace msr = ia32::vmx::msr;

namespace {

// The VMM runs identity-mapped, so these addresses are physical too. .bss
// is zeroed by entry.asm.
alignas(4096) uint8_t vmxon_region[4096];
alignas(4096) uint8_t vmcs_region[4096];
alignas(4096) uint8_t io_bitmap_a[4096];
alignas(4096) uint8_t io_bitmap_b[4096];
// Host RSP after every VM exit: the exit handlers run here.
alignas(16) uint8_t exit_stack[16384];
// Guest-physical memory where the CPU has EPT (vmx/ept.h).
EptTables ept_tables;
// Without EPT, the guest's page directory: here, above 4 MiB, outside the
// guest's one 4 MiB page, so the guest cannot edit its own paging to reach
// beyond it (CR3 loads exit; CR0/CR4 belong to the host).
alignas(4096) uint32_t host_held_page_directory[1024];
// All of the above is in .bss, above VMM_ADDR: nothing of the VMM lies in
// the guest's 4 MiB (checked in run_demo).

VmcsImage image;

// The guest header as the VMM checked it (vmx/guest_header_check.h): copied
// once from guest memory before the guest runs; after the check nothing
// reads the header in guest memory again.
layout::GuestHeader guest_header;

struct VmxState {
  bool in_vmx_operation;
  bool vmcs_current;
} state;

// Fault injection (abi/layout.h VMXBOOT_INJECT_CASES): the case, and what
// was injected, for the one-line explanation before the result line.
uint16_t inject_case;
char injected[160];
uint64_t ept_vpid_capability;  // IA32_VMX_EPT_VPID_CAP, 0 where the CPU has no EPT

[[gnu::format(printf, 1, 2)]] void note_injection(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vformat(injected, sizeof(injected), fmt, ap);
  va_end(ap);
}

// "inject: <case>: <what was injected>: <what happened>", when a case is on.
[[gnu::format(printf, 1, 2)]] void explain_injection(const char* fmt, ...) {
  if (inject_case == layout::INJECT_NONE) return;
  char outcome[160];
  va_list ap;
  va_start(ap, fmt);
  vformat(outcome, sizeof(outcome), fmt, ap);
  va_end(ap);
  console::printf("inject: %s: %s: %s\n", layout::inject_name(inject_case),
                  injected[0] != 0 ? injected : "(not reached)", outcome);
}

uint64_t physical_address(const void* p) { return reinterpret_cast<uint64_t>(p); }

uint32_t read_instruction_error() {
  uint64_t error = 0;
  if (ia32::vmx::vmread(ia32::vmx::encoding(VmcsField::vm_instruction_error), &error) !=
      VmxResult::success) {
    return 0;
  }
  return static_cast<uint32_t>(error);
}

// VMCLEAR (writes the VMCS back to memory), VMXOFF, CR4.VMXE off: as much of
// it as applies. Every way out of the demo passes here.
void leave_vmx_operation() {
  if (state.vmcs_current) {
    VmxResult r = ia32::vmx::vmclear(physical_address(vmcs_region));
    if (r != VmxResult::success) console::printf("vmx: VMCLEAR failed: %s\n", vmx_result_name(r));
    state.vmcs_current = false;
  }
  if (state.in_vmx_operation) {
    VmxResult r = ia32::vmx::vmxoff();
    if (r != VmxResult::success) console::printf("vmx: VMXOFF failed: %s\n", vmx_result_name(r));
    state.in_vmx_operation = false;
  }
  write_cr4(read_cr4() & ~cr4::vmxe);
}

// A VMX instruction failed: the VM-instruction error (read while still in
// VMX operation) with its SDM name, then out.
[[noreturn]] void fail_instruction(const char* step, VmxResult result) {
  const uint32_t error = result == VmxResult::fail_valid ? read_instruction_error() : 0;
  if (result == VmxResult::fail_valid) {
    console::printf("vmx: %s failed: VMfailValid, VM-instruction error %u: %s\n", step, error,
                    ia32::vmx::instruction_error_name(error));
  } else {
    console::printf("vmx: %s failed: VMfailInvalid (no current VMCS, so no error number)\n",
                    step);
  }
  leave_vmx_operation();
  explain_injection("%s ended in %s%s%s", step, vmx_result_name(result),
                    error != 0 ? ", error: " : "",
                    error != 0 ? ia32::vmx::instruction_error_name(error) : "");
  end_run("vmx-failed", "step=%s error=%u", step, error);
}

void check(VmxResult result, const char* step) {
  if (result != VmxResult::success) fail_instruction(step, result);
}

void require_vmx() {
  uint32_t regs[4];
  cpuid(1, 0, regs);
  if ((regs[2] & cpuid1_ecx_vmx) == 0) end_run("no-vmx", "cpuid.1:ecx.vmx=0");
}

// IA32_FEATURE_CONTROL (SDM 24.7): locked with VMX off means VMXON would
// #GP until reset; unlocked, we turn VMX on and lock it ourselves.
void enable_vmx_in_feature_control() {
  namespace fc = ia32::vmx::feature_control;
  uint64_t value = rdmsr(msr::feature_control);
  if (inject_case == layout::INJECT_FEATURE_LOCKED_OFF) {
    note_injection("IA32_FEATURE_CONTROL taken as 0x1 (locked, VMX off), not the 0x%lx read",
                   value);
    value = fc::lock;
  }
  if ((value & fc::lock) != 0) {
    if ((value & fc::vmx_outside_smx) == 0) {
      // Locked until the next reset: VMXON would #GP. Only the firmware
      // setup (or its defaults) can turn VMX on.
      console::printf("vmx: IA32_FEATURE_CONTROL 0x%lx is locked with VMX off: VMX is turned off"
                      " in the firmware setup (turn on Intel VT-x there)\n", value);
      explain_injection("VMX is turned off in the firmware setup; the VMM stops before VMXON");
      end_run("vmx-disabled", "feature-control=0x%lx locked with bit 2 clear", value);
    }
    return;
  }
  wrmsr(msr::feature_control, value | fc::vmx_outside_smx | fc::lock);
  const uint64_t after = rdmsr(msr::feature_control);
  console::printf("vmx: IA32_FEATURE_CONTROL was unlocked (0x%lx), now 0x%lx\n", value, after);
  if ((after & (fc::vmx_outside_smx | fc::lock)) != (fc::vmx_outside_smx | fc::lock)) {
    end_run("vmx-disabled", "feature-control=0x%lx did not take bits 2 and 0", after);
  }
}

// Only the MSRs the CPU has: reading one it lacks is a #GP.
CapabilityMsrs read_capability_msrs() {
  CapabilityMsrs m{};
  m.basic = rdmsr(msr::vmx_basic);
  m.pin_based = rdmsr(msr::vmx_pinbased_ctls);
  m.primary_processor = rdmsr(msr::vmx_procbased_ctls);
  m.exit = rdmsr(msr::vmx_exit_ctls);
  m.entry = rdmsr(msr::vmx_entry_ctls);
  m.misc = rdmsr(msr::vmx_misc);
  m.cr0_fixed0 = rdmsr(msr::vmx_cr0_fixed0);
  m.cr0_fixed1 = rdmsr(msr::vmx_cr0_fixed1);
  m.cr4_fixed0 = rdmsr(msr::vmx_cr4_fixed0);
  m.cr4_fixed1 = rdmsr(msr::vmx_cr4_fixed1);
  if (VmxBasic{m.basic}.has_true_controls()) {
    m.true_pin_based = rdmsr(msr::vmx_true_pinbased_ctls);
    m.true_primary_processor = rdmsr(msr::vmx_true_procbased_ctls);
    m.true_exit = rdmsr(msr::vmx_true_exit_ctls);
    m.true_entry = rdmsr(msr::vmx_true_entry_ctls);
  }
  const uint64_t primary = VmxBasic{m.basic}.has_true_controls() ? m.true_primary_processor
                                                                 : m.primary_processor;
  if ((primary >> 32) & ia32::vmx::primary_processor::activate_secondary_controls) {
    m.secondary_processor = rdmsr(msr::vmx_procbased_ctls2);
  }
  return m;
}

void print_capabilities(const CapabilityMsrs& m) {
  const VmxBasic basic{m.basic};
  // Lines under 80 columns: the VGA screen shows them too.
  console::printf("vmx: IA32_VMX_BASIC 0x%016lx: revision 0x%x, region %u bytes,\n", m.basic,
                  basic.revision_id(), basic.region_bytes());
  console::printf("vmx:   memory type %u, true controls %s, INS/OUTS info %s\n",
                  basic.vmcs_memory_type(), basic.has_true_controls() ? "yes" : "no",
                  basic.reports_ins_outs_info() ? "yes" : "no");
  console::printf("vmx: pin %016lx proc %016lx exit %016lx\n", m.pin_based,
                  m.primary_processor, m.exit);
  console::printf("vmx: entry %016lx proc2 %016lx misc %016lx\n", m.entry,
                  m.secondary_processor, m.misc);
  if (basic.has_true_controls()) {
    console::printf("vmx: true pin %016lx proc %016lx exit %016lx\n", m.true_pin_based,
                    m.true_primary_processor, m.true_exit);
    console::printf("vmx: true entry %016lx\n", m.true_entry);
  }
  console::printf("vmx: cr0 fixed 0x%lx/0x%lx, cr4 fixed 0x%lx/0x%lx\n", m.cr0_fixed0,
                  m.cr0_fixed1, m.cr4_fixed0, m.cr4_fixed1);
}

ControlWords settle_controls(const CapabilityMsrs& msrs, const ControlWords& wanted) {
  const ControlResult result = compute_controls(msrs, wanted);
  if (!result.ok) {
    const ControlError& e = result.error;
    console::printf("vmx: %s control bit %u (%s) %s (MSR 0x%x)\n",
                    ia32::vmx::control_word_name(e.word), e.bit, e.bit_name,
                    e.required_by_cpu ? "must be 1 but may not be" : "is wanted but not allowed",
                    capability_msr_index(msrs, e.word));
    end_run("vmx-failed", "step=controls word=%s bit=%u name=%s",
            ia32::vmx::control_word_name(e.word), e.bit, e.bit_name);
  }
  const ControlWords& c = result.controls;
  console::printf("vmx: controls: pin 0x%x, primary 0x%x, secondary 0x%x,\n", c.pin_based,
                  c.primary_processor, c.secondary_processor);
  console::printf("vmx:   exit 0x%x, entry 0x%x\n", c.exit, c.entry);
  return c;
}

uint64_t settle_control_register(const char* name, uint64_t wanted, FixedBits fixed) {
  const FixedResult r = apply_fixed_bits(wanted, fixed);
  if (!r.ok) {
    console::printf("vmx: %s bits 0x%lx not allowed in VMX operation (FIXED1 0x%lx)\n", name,
                    r.forbidden, fixed.fixed1);
    end_run("vmx-failed", "step=%s-fixed-bits error=0", name);
  }
  return r.value;
}

// The host's CR0 and CR4 as VMX operation needs them (SDM 24.8): fixed-1
// bits set (CR0.NE, CR4.VMXE), fixed-0 bits clear.
void enter_vmx_control_registers(const CapabilityMsrs& m) {
  const uint64_t cr0 = read_cr0();
  const uint64_t new_cr0 = settle_control_register("cr0", cr0, {m.cr0_fixed0, m.cr0_fixed1});
  if (new_cr0 != cr0) write_cr0(new_cr0);
  const uint64_t cr4 = read_cr4() | cr4::vmxe;
  write_cr4(settle_control_register("cr4", cr4, {m.cr4_fixed0, m.cr4_fixed1}));
}

// The header in guest memory. Before the guest runs the VMM reads it once,
// through copy_guest_header, and writes what the guest reads there (its row,
// the injection case); after the guest has stopped it reads once the numbers
// the guest reports there, to print them. Nothing in it is used otherwise.
volatile layout::GuestHeader& header_in_guest_memory() {
  return *reinterpret_cast<volatile layout::GuestHeader*>(uintptr_t{layout::GUEST_ADDR});
}

// The checked copy of the guest's header (guest_header), or the run ends
// guest-invalid naming the field.
const layout::GuestHeader& prepare_guest(const layout::BootInfo& boot_info) {
  const layout::LoadedPayload& payload = boot_info.payloads[layout::PAYLOAD_GUEST];
  if (payload.load_addr != layout::GUEST_ADDR) {
    end_run("guest-invalid", "field=load_addr load-addr=0x%x", payload.load_addr);
  }
  auto* guest = reinterpret_cast<volatile uint8_t*>(uintptr_t{layout::GUEST_ADDR});
  const GuestHeaderProblem problem = copy_guest_header(guest, payload.size, guest_header);
  if (!problem.ok()) {
    console::printf("vmx: guest header: %s: %s\n", problem.field, problem.problem);
    explain_injection("the VMM refused it (%s)", problem.field);
    end_run("guest-invalid", "field=%s problem=\"%s\"", problem.field, problem.problem);
  }
  // The tail: the page directory and the stacks, then PDE 0 as the header
  // says (all within memory_bytes, checked in 64 bits).
  const layout::GuestHeader& header = guest_header;
  auto* tail = reinterpret_cast<uint8_t*>(uintptr_t{layout::GUEST_ADDR} + header.image_bytes);
  __builtin_memset(tail, 0, header.memory_bytes - header.image_bytes);
  *reinterpret_cast<volatile uint32_t*>(guest + header.page_directory_offset) = header.pde0;
  return header;
}

// The guest's line goes to the row the console would write next, so that it
// stays on the screen as one line of the run's output (see below). The row
// is the VMM's (its copy), told to the guest through its header.
void hand_console_row_to_guest() {
  const int row = console::row();
  if (row >= 0 && row < guest_vga_rows) guest_header.vga_row = static_cast<uint16_t>(row);
  header_in_guest_memory().vga_row = guest_header.vga_row;
}

void read_segment_selectors(HostState& host) {
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
}

struct [[gnu::packed]] TableRegister {
  uint16_t limit;
  uint64_t base;
};

// The host state a VM exit loads (SDM 28.5): the VMM as it runs now, except
// RSP and RIP, which lead to the exit stub on its own stack.
void read_host_state(HostState& host) {
  read_segment_selectors(host);
  if (host.tr_selector == 0) {
    leave_vmx_operation();
    end_run("vmx-failed", "step=host-state error=0 tr=0");
  }
  TableRegister gdtr, idtr;
  asm volatile("sgdt %0" : "=m"(gdtr));
  asm volatile("sidt %0" : "=m"(idtr));
  host.gdtr_base = gdtr.base;
  host.idtr_base = idtr.base;
  // TR's base from its 16-byte descriptor in the GDT (SDM 8.2.3).
  const auto* d = reinterpret_cast<const volatile uint8_t*>(gdtr.base + (host.tr_selector & ~7u));
  host.tr_base = d[2] | d[3] << 8 | d[4] << 16 | static_cast<uint64_t>(d[7]) << 24 |
                 static_cast<uint64_t>(*reinterpret_cast<const volatile uint32_t*>(d + 8)) << 32;
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
  // 8 below a 16-byte boundary: after the stub's nine pushes RSP is
  // 16-aligned for its call, as the ABI wants.
  host.rsp = physical_address(exit_stack + sizeof(exit_stack) - 8);
  host.rip = reinterpret_cast<uint64_t>(&vmx_exit_stub);
}

struct VmwriteContext {
  VmxResult result;
};

bool vmwrite_field(void* context, uint32_t field, uint64_t value) {
  const VmxResult r = ia32::vmx::vmwrite(field, value);
  static_cast<VmwriteContext*>(context)->result = r;
  return r == VmxResult::success;
}

void write_vmcs() {
  VmwriteContext context{VmxResult::success};
  const MachineWriteResult result = write_machine(image, {&context, vmwrite_field});
  if (!result.ok) {
    console::printf("vmx: VMWRITE of field 0x%04x (value 0x%lx) failed\n",
                    ia32::vmx::encoding(result.failed->field), machine_value(image, *result.failed));
    fail_instruction("vmwrite", context.result);
  }
  console::printf("vmx: VMCS written from machine[]: %u fields\n", result.written);
}

// The guest's screen line as the VMM reads it back from VGA text memory.
void read_guest_screen_line(uint16_t row, char (&line)[81]) {
  const auto* cells = reinterpret_cast<const volatile uint16_t*>(uintptr_t{layout::VGA_TEXT_ADDR});
  int end = 0;
  for (int column = 0; column < 80; ++column) {
    const char c = static_cast<char>(cells[row * 80 + column] & 0xFF);
    line[column] = c;
    if (c != ' ' && c != 0) end = column + 1;
  }
  line[end] = 0;
}

bool starts_with(const char* text, const char* prefix) {
  for (; *prefix != 0; ++text, ++prefix) {
    if (*text != *prefix) return false;
  }
  return true;
}

// Our own run of the SDM's VM-entry checks over the current VMCS (so before
// VMCLEAR): the CPU says only that an entry failed, this says which rule.
// Returns the id of the first failed check, or "none".
const char* diagnose_entry_failure(const CapabilityMsrs& msrs) {
  const VmcsReader reader{[](void*, uint32_t field, uint64_t* value) {
                            return ia32::vmx::vmread_succeeded(field, value);
                          },
                          nullptr};
  EntryCheckEnvironment environment{};
  environment.msrs = msrs;
  environment.ept_vpid_capability = ept_vpid_capability;
  uint32_t regs[4];
  cpuid(0x80000008, 0, regs);
  environment.physical_address_width = static_cast<uint8_t>(regs[0]);
  environment.linear_address_width = static_cast<uint8_t>(regs[0] >> 8);
  environment.processor_in_ia32e_mode = true;
  environment.memory = {[](void*, uint64_t address, uint64_t* value) {
                          if (address > 0xFFFFFFF8ull) return false;  // the 4 GiB identity map
                          *value = *reinterpret_cast<const volatile uint64_t*>(address);
                          return true;
                        },
                        nullptr};
  const EntryCheckResult result = run_entry_checks(reader, environment);
  console::printf("vmx: entry diagnosis: %u SDM checks run over the VMCS\n", result.checks_run);
  if (result.passed) {
    console::printf("vmx: every check passed: the cause is outside what the checker covers\n");
    return "none";
  }
  print_check_failure(result.failure);
  return result.failure.id;
}

[[noreturn]] void report_entry_failure(uint64_t outcome, const CapabilityMsrs& msrs) {
  const char* step = (outcome & enter_resume_failed) != 0 ? "vmresume" : "vmlaunch";
  const VmxResult result = ia32::vmx::vmx_result(outcome & 1, outcome & 0x40);
  const uint32_t error = result == VmxResult::fail_valid ? read_instruction_error() : 0;
  const char* check = "none";
  if (result == VmxResult::fail_valid) {
    console::printf("vmx: %s failed: VMfailValid, VM-instruction error %u: %s\n", step, error,
                    ia32::vmx::instruction_error_name(error));
    check = diagnose_entry_failure(msrs);
  } else {
    console::printf("vmx: %s failed: VMfailInvalid\n", step);
  }
  leave_vmx_operation();
  explain_injection("%s failed with VM-instruction error %u; the entry checker names %s", step,
                    error, check);
  end_run("entry-failed", "check=%s step=%s error=%u", check, step, error);
}

uint32_t io_exits(const ExitLog& log) {
  return log.by_reason[static_cast<unsigned>(ia32::vmx::ExitReason::io_instruction)];
}

void print_exit_counts(const ExitLog& log) {
  console::printf("vmx: %u VM exits:", total_exits(log));
  for (uint32_t r = 0; r <= ia32::vmx::exit_reason_count; ++r) {
    if (log.by_reason[r] == 0) continue;
    console::printf(" %s %u", r < ia32::vmx::exit_reason_count ? ia32::vmx::exit_reason_name(r)
                                                                : "other",
                    log.by_reason[r]);
  }
  console::printf("\n");
}

// The guest's COM1 exits by kind, decoded: which register, which direction.
void print_io_exit_kinds(const ExitLog& log, uint16_t unpolled_port) {
  constexpr const char* in_names[8] = {"RBR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR"};
  constexpr const char* out_names[8] = {"THR/DLL", "IER/DLM", "FCR", "LCR", "MCR", "LSR",
                                        "MSR", "SCR"};
  for (unsigned r = 0; r < 8; ++r) {
    if (log.com1_out[r] != 0) {
      console::printf("vmx:   io-instruction out 0x%x (COM1 %s) x%u\n", layout::COM1_PORT + r,
                      out_names[r], log.com1_out[r]);
    }
    if (log.com1_in[r] != 0) {
      console::printf("vmx:   io-instruction in 0x%x (COM1 %s) x%u\n", layout::COM1_PORT + r,
                      in_names[r], log.com1_in[r]);
    }
  }
  if (log.string_io_exits != 0) {
    console::printf("vmx:   io-instruction rep outsb (COM1 THR) x%u\n", log.string_io_exits);
  }
  if (log.unpolled_outs != 0) {
    console::printf("vmx:   io-instruction out 0x%x (benchmark) x%u\n", unpolled_port,
                    log.unpolled_outs);
  }
}

// What the guest can reach and how long it may run, decided from the
// capability MSRs.
struct GuestBounds {
  bool ept;                 // guest-physical memory through ept_tables
  bool preemption_timer;    // else PIT ticks through external-interrupt exiting
  bool nmi_exiting;         // host NMIs exit instead of reaching the guest
  ControlWords wanted;
};

GuestBounds choose_bounds(const CapabilityMsrs& msrs) {
  using ia32::vmx::ControlWord;
  GuestBounds b{};
  b.wanted = demo_wanted_controls;
  const uint32_t primary_allowed = allowed_settings(msrs, ControlWord::primary_processor).may_be_one;
  const uint32_t secondary_allowed =
      (primary_allowed & ia32::vmx::primary_processor::activate_secondary_controls) != 0
          ? allowed_settings(msrs, ControlWord::secondary_processor).may_be_one
          : 0;
  if ((secondary_allowed & ia32::vmx::secondary_processor::enable_ept) != 0) {
    ept_vpid_capability = rdmsr(msr::vmx_ept_vpid_cap);
    b.ept = ept_pointer(0, ept_vpid_capability) != 0;
  }
  if (b.ept) {
    b.wanted.secondary_processor |= ia32::vmx::secondary_processor::enable_ept;
  } else {
    // The guest's page directory is the VMM's (host_held_page_directory): a
    // MOV to CR3 would swap in one of the guest's own.
    b.wanted.primary_processor |= ia32::vmx::primary_processor::cr3_load_exiting;
  }
  const uint32_t pin_allowed = allowed_settings(msrs, ControlWord::pin_based).may_be_one;
  b.wanted.pin_based |= host_nmi_pin_control(pin_allowed);
  b.nmi_exiting = host_nmi_pin_control(pin_allowed) != 0;
  b.preemption_timer = (pin_allowed & ia32::vmx::pin_based::activate_preemption_timer) != 0;
  if (b.preemption_timer) {
    // Not "save VMX-preemption timer value": that would carry over the
    // guest's time only. Each exit restarts the timer with what is left
    // until the deadline, which counts the exits' time too
    // (vmx/exit_runtime.cpp), and works the same where the CPU cannot save.
    b.wanted.pin_based |= ia32::vmx::pin_based::activate_preemption_timer;
  } else {
    b.wanted.pin_based |= ia32::vmx::pin_based::external_interrupt_exiting;
    b.wanted.exit |= ia32::vmx::exit::acknowledge_interrupt_on_exit;
  }
  return b;
}

uint32_t lowest_set_bit(uint32_t bits) {
  uint32_t bit = 0;
  while ((bits & 1) == 0) {
    bits >>= 1;
    ++bit;
  }
  return bit;
}

void vmwrite_or_fail(VmcsField field, uint64_t value, const char* step) {
  check(ia32::vmx::vmwrite(ia32::vmx::encoding(field), value), step);
}

// INJECT_BAD_CONTROL: after the computed controls are written, one bit the
// CPU does not allow (allowed-1 clear), in the first word that has one.
void inject_bad_control(const CapabilityMsrs& msrs, const ControlWords& controls) {
  using ia32::vmx::ControlWord;
  constexpr struct {
    ControlWord word;
    VmcsField field;
  } words[] = {{ControlWord::primary_processor, VmcsField::primary_processor_controls},
               {ControlWord::pin_based, VmcsField::pin_based_controls},
               {ControlWord::exit, VmcsField::exit_controls},
               {ControlWord::entry, VmcsField::entry_controls}};
  for (const auto& w : words) {
    const uint32_t forbidden = ~allowed_settings(msrs, w.word).may_be_one;
    if (forbidden == 0) continue;
    const uint32_t bit = lowest_set_bit(forbidden);
    note_injection("%s control bit %u (%s) set in the VMCS; MSR 0x%x does not allow it",
                   ia32::vmx::control_word_name(w.word), bit,
                   ia32::vmx::control_bit_name(w.word, bit), capability_msr_index(msrs, w.word));
    vmwrite_or_fail(w.field, controls[w.word] | (1u << bit), "vmwrite");
    return;
  }
  note_injection("no control bit the CPU forbids: nothing injected");
}

uint32_t vmm_crc() {
  return crc32c(__vmm_start, static_cast<size_t>(__vmm_loaded_end - __vmm_start));
}

// The cases that damage the guest header on the disk (mkimage wrote the
// value): what the image holds, said before the VMM looks at it.
void note_header_injection() {
  if (const layout::GuestHeaderInjection* damage = layout::find_guest_header_injection(inject_case)) {
    note_injection("the guest header has %s 0x%x", damage->field, damage->value);
  }
}

// The guest cases' part of the explanation, set before the guest runs.
void note_guest_injection() {
  switch (inject_case) {
    case layout::INJECT_GUEST_TRIPLE_FAULT:
      note_injection("the guest loads an empty IDT and executes INT 0x20 at ring 0");
      break;
    case layout::INJECT_GUEST_SPIN:
      note_injection("the guest loops forever with interrupts off");
      break;
    case layout::INJECT_GUEST_BAD_PORT:
      note_injection(
          "the guest reads port 0x64, writes port 0x70, reads port 0xcf8 (32 bits), "
          "rep insb 4 bytes from port 0x60");
      break;
    case layout::INJECT_GUEST_READ_VMM:
      note_injection("the guest maps the VMM's 4 MiB through its CR3 and sends 16 bytes from "
                     "0x%x to COM1 with rep outsb",
                     layout::VMM_ADDR);
      break;
    case layout::INJECT_GUEST_WRITE_VMM:
      note_injection("the guest maps the VMM's 4 MiB through its CR3 and writes to 0x%x",
                     layout::VMM_ADDR);
      break;
    case layout::INJECT_GUEST_COM1_FLOOD:
      note_injection("the guest sends 16 KiB to COM1 with rep outsb, again and again");
      break;
    case layout::INJECT_GUEST_RING0_FLOOD:
      note_injection("the guest's ring-0 handler sends 16 KiB to COM1 with a 32-bit rep outsb, "
                     "again and again");
      break;
    case layout::INJECT_GUEST_EXIT_THEN_SPIN:
      note_injection("the guest reads COM1's LSR 1000 times with interrupts off, then loops "
                     "forever");
      break;
    case layout::INJECT_GUEST_UART_SETUP:
      note_injection("the guest sets COM1's MCR to loopback, LCR to 7E1, divisor 12, IER 0x0f, "
                     "FCR 0");
      break;
    case layout::INJECT_GUEST_PORT_POLICY:
      note_injection("the guest reaches past COM1 and port 0xe9 in every size and direction "
                     "(a word at 0x3ff, a dword at 0x3fe, 0x21, 0xcf9, 0x92, 0x402)");
      break;
    case layout::INJECT_GUEST_REWRITE_HEADER:
      note_injection("the guest writes %u to its vga_row after the VMM's check",
                     layout::GUEST_REWRITTEN_VGA_ROW);
      break;
    case layout::INJECT_GUEST_FAKE_ACPI:
      note_injection("the guest (no EPT) aims the EBDA pointer at its own ACPI tables, PM1a_CNT "
                     "0x%x", layout::GUEST_FAKE_PM1A_CNT);
      break;
    case layout::INJECT_GUEST_PSE36_OUTS:
      note_injection("the guest maps 0x%x by PSE-36 PDE 0x%x (at 4 GiB), rep outsb's 16 bytes "
                     "from 0x%x", layout::GUEST_PSE36_LINEAR, layout::GUEST_PSE36_PDE,
                     layout::GUEST_PSE36_LINEAR + layout::GUEST_ADDR);
      break;
    default: break;
  }
}

void print_denied(const ExitLog& log) {
  const uint32_t logged = log.denied_accesses < denied_log_size ? log.denied_accesses
                                                                : denied_log_size;
  for (uint32_t i = 0; i < logged; ++i) {
    const DeniedAccess& d = log.denied_log[i];
    char times[16] = "";
    if (d.string) format(times, sizeof(times), " x%u", d.elements);
    console::printf("vmx: denied: %s%s 0x%x, %u byte(s)%s%s\n", d.in ? "in" : "out",
                    d.string ? "s" : "", d.port, d.bytes, times,
                    d.in ? ": the guest reads all ones" : ": dropped");
  }
  if (log.denied_accesses > logged) {
    console::printf("vmx: denied: %u more\n", log.denied_accesses - logged);
  }
}

// What a handler recorded when it stopped the guest, printed now that the
// guest no longer runs.
void print_stop(const ExitLog& log) {
  if (log.dump) {
    const uint32_t basic = ia32::vmx::basic_exit_reason(log.info.exit_reason);
    if (basic == static_cast<uint32_t>(ia32::vmx::ExitReason::vmcall)) {
      console::printf("vmx: guest #GP at %04x:%04x (error code 0x%x) was not its HLT\n",
                      static_cast<unsigned>(log.guest_report.rcx & 0xFFFF),
                      static_cast<unsigned>(log.guest_report.rdx & 0xFFFF),
                      static_cast<unsigned>(log.guest_report.rsi));
    }
    print_exit(log.info, &log.guest_report);
    if (basic == static_cast<uint32_t>(ia32::vmx::ExitReason::ept_violation)) {
      const uint64_t q = log.info.exit_qualification;
      console::printf("vmx:   EPT violation: %s guest-physical 0x%lx (guest-linear 0x%lx), which"
                      " the EPT does not map for the guest\n",
                      (q & 2) ? "write to" : (q & 4) ? "instruction fetch from" : "read of",
                      log.guest_physical_address, log.info.guest_linear_address);
    }
  }
  if (log.stop_note != nullptr) console::printf("vmx: stopped: %s\n", log.stop_note);
}

}  // namespace

void run_demo(const layout::BootInfo& boot_info) {
  inject_case = boot_info.inject;
  require_vmx();
  enable_vmx_in_feature_control();
  const CapabilityMsrs msrs = read_capability_msrs();
  print_capabilities(msrs);
  const VmxBasic basic{msrs.basic};
  if (basic.region_bytes() > sizeof(vmcs_region) ||
      basic.vmcs_memory_type() != ia32::vmx::memory_type_write_back) {
    end_run("vmx-failed", "step=basic error=0 region=%u memory-type=%u", basic.region_bytes(),
            basic.vmcs_memory_type());
  }
  const GuestBounds bounds = choose_bounds(msrs);
  const ControlWords controls = settle_controls(msrs, bounds.wanted);
  const FixedBits cr0_fixed{msrs.cr0_fixed0, msrs.cr0_fixed1};
  const FixedBits cr4_fixed{msrs.cr4_fixed0, msrs.cr4_fixed1};
  const uint64_t guest_cr0 = settle_control_register("guest-cr0", guest_cr0_wanted, cr0_fixed);
  const uint64_t guest_cr4 = settle_control_register("guest-cr4", guest_cr4_wanted, cr4_fixed);
  note_header_injection();
  const layout::GuestHeader& header = prepare_guest(boot_info);
  header_in_guest_memory().inject = inject_case;

  // Nothing the VMM keeps for VMX may lie in the guest's 4 MiB page.
  const uint64_t lowest = physical_address(vmxon_region) < physical_address(&ept_tables)
                              ? physical_address(vmxon_region)
                              : physical_address(&ept_tables);
  if (physical_address(__vmm_start) < 0x400000 || lowest < 0x400000 ||
      physical_address(exit_stack) < 0x400000 ||
      physical_address(host_held_page_directory) < 0x400000) {
    end_run("vmx-failed", "step=layout error=0 vmm-below-4mib=yes");
  }

  // VMXON region and VMCS: the revision ID in the first dword, bit 31 clear.
  uint32_t vmxon_revision = basic.revision_id();
  if (inject_case == layout::INJECT_BAD_REVISION) {
    vmxon_revision = (vmxon_revision + 1) & 0x7FFFFFFF;
    note_injection("VMXON region stamped 0x%x, not the CPU's 0x%x", vmxon_revision,
                   basic.revision_id());
  }
  *reinterpret_cast<uint32_t*>(vmxon_region) = vmxon_revision;
  *reinterpret_cast<uint32_t*>(vmcs_region) = basic.revision_id();
  trap_all_ports(io_bitmap_a, io_bitmap_b);

  enter_vmx_control_registers(msrs);
  check(ia32::vmx::vmxon(physical_address(vmxon_region)), "vmxon");
  state.in_vmx_operation = true;
  check(ia32::vmx::vmclear(physical_address(vmcs_region)), "vmclear");
  check(ia32::vmx::vmptrld(physical_address(vmcs_region)), "vmptrld");
  state.vmcs_current = true;
  if (inject_case == layout::INJECT_UNALIGNED_VMCS) {
    // With a current VMCS, so that the failure is VMfailValid with a number.
    const uint64_t misaligned = physical_address(vmcs_region) + 0x10;
    note_injection("VMPTRLD of 0x%lx, which is not 4 KiB aligned", misaligned);
    check(ia32::vmx::vmptrld(misaligned), "vmptrld");
  }
  console::printf("vmx: VMXON, VMCLEAR, VMPTRLD done (revision 0x%x)\n", basic.revision_id());

  build_v86_guest_state(header, layout::GUEST_ADDR, guest_cr0, guest_cr4, image.guest);
  build_control_state(controls, physical_address(io_bitmap_a), physical_address(io_bitmap_b),
                      image.guest, image.controls);
  if (!bounds.ept) {
    host_held_page_directory[0] = header.pde0;
    image.guest.cr3 = physical_address(host_held_page_directory);
  }
  read_host_state(image.host);
  write_vmcs();

  uint64_t eptp = 0;
  if (bounds.ept) {
    // The guest's own frames and the VGA text window: nothing else.
    const EptRange ranges[] = {
        {layout::GUEST_ADDR, header.memory_bytes, true},
        {layout::VGA_TEXT_ADDR, 0x8000, false},
    };
    if (!build_ept(ept_tables, physical_address(&ept_tables), ranges, 2)) {
      fail_instruction("ept", VmxResult::fail_invalid);
    }
    eptp = ept_pointer(physical_address(&ept_tables), ept_vpid_capability);
    vmwrite_or_fail(VmcsField::ept_pointer, eptp, "vmwrite");
  }
  // The TSC against the PIT on every CPU: the deadline that counts the
  // exits' time, and the COM1 wait, are in TSC ticks (vmx/guest_timer.h).
  const uint64_t tsc_ticks_in_limit = guest_timer::tsc_ticks_in_limit();
  if (tsc_ticks_in_limit == 0) {
    leave_vmx_operation();
    end_run("vmx-failed", "step=guest-clock error=0 pit-channel2=stuck");
  }
  const GuestClock clock{tsc_ticks_in_limit, bounds.preemption_timer,
                         ia32::vmx::VmxMisc{msrs.misc}.preemption_timer_tsc_shift(),
                         bounds.preemption_timer ? 0 : guest_timer::pit_ticks_for_limit};
  if (bounds.preemption_timer) {
    vmwrite_or_fail(VmcsField::guest_preemption_timer_value,
                    guest_timer::preemption_timer_value(tsc_ticks_in_limit, clock.timer_shift),
                    "vmwrite");
  }
  if (inject_case == layout::INJECT_BAD_CONTROL) inject_bad_control(msrs, controls);
  if (inject_case == layout::INJECT_BAD_GUEST_STATE) {
    const uint64_t base = image.guest.cs.base + 0x10;
    note_injection("guest CS base 0x%lx with selector 0x%x (virtual-8086 mode needs 0x%lx)",
                   base, image.guest.cs.selector, image.guest.cs.base);
    vmwrite_or_fail(VmcsField::guest_cs_base, base, "vmwrite");
  }
  if (bounds.ept) {
    console::printf("vmx: guest memory: EPT 0x%lx maps 0x%x-0x%x\n", eptp, layout::GUEST_ADDR,
                    layout::GUEST_ADDR + header.memory_bytes - 1);
    console::printf("vmx:   and 0xb8000-0xbffff only\n");
  } else {
    console::printf("vmx: guest memory: no EPT: its 4 MiB page; page directory held\n");
    console::printf("vmx:   by the VMM at 0x%lx\n", physical_address(host_held_page_directory));
  }
  console::printf("vmx: guest time bound %u ms (%s)%s\n", guest_timer::limit_ms,
                  bounds.preemption_timer ? "VMX-preemption timer" : "PIT",
                  bounds.nmi_exiting ? "; host NMIs exit" : "");
  note_guest_injection();

  // Everything the end of the run needs is found now and kept in VMM
  // memory: the ACPI power-off (common/end_run.h) and, below, the row of the
  // guest's screen line.
  const acpi::PowerOff& power_off = end_run_keep_power_off();
  console::printf("vmx: power-off kept: PM1a_CNT 0x%x SLP_TYPa %u\n", power_off.pm1a_cnt,
                  power_off.slp_typ_a);
  prepare_exit_handling(basic.reports_ins_outs_info(), clock, bounds.ept ? &ept_tables : nullptr);
  console::printf("vmx: VMLAUNCH: V86 guest at %04x:%04x\n", header.entry_cs, header.entry_ip);
  hand_console_row_to_guest();
  const bool check_vmm = inject_case == layout::INJECT_GUEST_WRITE_VMM;
  const uint32_t crc_before = check_vmm ? vmm_crc() : 0;
  if (!bounds.preemption_timer) guest_timer::start_pit_ticks();
  const uint64_t tsc_launch = start_guest_clock();
  const uint64_t outcome = vmx_enter_guest();
  const uint64_t guest_ticks = rdtsc() - tsc_launch;
  const uint32_t elapsed_ms = static_cast<uint32_t>(guest_ticks * guest_timer::limit_ms /
                                                    tsc_ticks_in_limit);
  if (!bounds.preemption_timer) guest_timer::stop_pit_ticks();
  // COM1 as the guest left it, then set up again for the VMM's own lines:
  // the guest wrote only the shadow of its setup (vmx/uart_shadow.h), and
  // this says so from the UART itself.
  console::flush();
  const Uart16550::Setup com1_after = Uart16550(layout::COM1_PORT).read_setup();
  console::setup_serial_again();
  // Before the console writes anything (its state is VMM data too).
  const uint32_t crc_after = check_vmm ? vmm_crc() : 0;
  const char* vmm_intact = crc_before == crc_after ? "yes" : "no";
  // Read the guest's screen line before the console writes anything, then
  // step the console past it (its newline also ends the guest's serial line
  // on the terminal, which the guest already ended with CR LF: one blank
  // line there).
  char line[81];
  read_guest_screen_line(header.vga_row, line);
  // What the guest wrote into its header for the VMM to print (numbers,
  // nothing more), read once now that it no longer runs.
  const uint32_t bench_ticks = header_in_guest_memory().bench_ticks;
  const uint32_t bad_port_ins = header_in_guest_memory().bad_port_ins;
  const uint16_t row_in_guest_header = header_in_guest_memory().vga_row;
  console::skip_screen_line();
  // A guest line cut off mid-way (a guest stopped while it sent) ends
  // before the VMM's first.
  if (!exit_log().guest_line_start) console::end_serial_line();
  if ((outcome & (enter_launch_failed | enter_resume_failed)) != 0) {
    report_entry_failure(outcome, msrs);
  }

  const ExitLog& log = exit_log();
  if (ia32::vmx::is_entry_failure(log.info.exit_reason)) {
    // A VM entry that failed on the guest state (33) or MSR loading (34):
    // an exit with bit 31 set, not a VMfail.
    const char* reason = ia32::vmx::exit_reason_name(log.info.exit_reason);
    print_exit(log.info, nullptr);
    const char* check = diagnose_entry_failure(msrs);
    leave_vmx_operation();
    explain_injection("VM entry failed (exit reason %s); the entry checker names %s", reason,
                      check);
    end_run("entry-failed", "check=%s error=%s", check, reason);
  }
  print_denied(log);
  if (outcome == exit_guest_timeout) {
    print_exit(log.info, nullptr);
    print_exit_counts(log);
    leave_vmx_operation();
    const char* timer = bounds.preemption_timer ? "preemption" : "pit";
    // Which clock said so: the one that exited, or the deadline that every
    // exit checks (a guest that spends its time in exits).
    const uint32_t basic = ia32::vmx::basic_exit_reason(log.info.exit_reason);
    const char* by =
        basic == static_cast<uint32_t>(ia32::vmx::ExitReason::preemption_timer)
            ? "the VMX-preemption timer"
        : basic == static_cast<uint32_t>(ia32::vmx::ExitReason::external_interrupt)
            ? "the PIT (external-interrupt exits)"
            : "the deadline checked at every VM exit";
    console::printf("vmx: the guest used up its %u ms, its exits' time included: %u ms "
                    "(%s), %u bytes to COM1\n",
                    guest_timer::limit_ms, elapsed_ms, by, log.com1_bytes_out);
    explain_injection("stopped after %u ms by %s", guest_timer::limit_ms, by);
    end_run("guest-timeout", "limit-ms=%u elapsed-ms=%u timer=%s exits=%u com1-bytes=%u denied=%u",
            guest_timer::limit_ms, elapsed_ms, timer, total_exits(log), log.com1_bytes_out,
            log.denied_accesses);
  }
  if (outcome == exit_stop && log.host_nmi) {
    print_exit(log.info, nullptr);
    leave_vmx_operation();
    console::printf("vmx: a host NMI exited the guest, which never saw it\n");
    end_run("host-nmi", "during=guest exits=%u", total_exits(log));
  }
  if (outcome != exit_guest_done) {
    const char* reason = ia32::vmx::exit_reason_name(log.info.exit_reason);
    print_stop(log);
    print_exit_counts(log);
    leave_vmx_operation();
    const bool ept_violation = ia32::vmx::basic_exit_reason(log.info.exit_reason) ==
                               static_cast<uint32_t>(ia32::vmx::ExitReason::ept_violation);
    // (Also where the VMM refused to touch memory that is not the guest's
    // for it, an INS/OUTS operand: vmx/guest_memory.h.)
    uint64_t address = log.guest_physical_address;
    const bool has_gpa = ept_violation || refused_guest_physical(&address);
    char gpa[40] = "";
    if (has_gpa) format(gpa, sizeof(gpa), " gpa=0x%lx", address);
    char intact[20] = "";
    if (check_vmm) {
      format(intact, sizeof(intact), " vmm-intact=%s", vmm_intact);
      console::printf("vmx: VMM code and data CRC-32C 0x%08x before the guest, 0x%08x after\n",
                      crc_before, crc_after);
    }
    explain_injection("the guest was stopped by exit reason %s%s%s%s", reason,
                      has_gpa ? " at" : "", gpa,
                      check_vmm ? (crc_before == crc_after ? "; the VMM is intact"
                                                           : "; the VMM was changed")
                                : "");
    end_run("guest-exit", "reason=%s%s%s denied=%u", reason, gpa, intact, log.denied_accesses);
  }

  // The last exit, the guest's VMCALL, decoded in full.
  print_exit(log.info, &log.guest_report);
  leave_vmx_operation();
  console::printf("vmx: guest halted at %04lx:%04lx; VMCLEAR, VMXOFF, CR4.VMXE cleared\n",
                  log.guest_report.rcx & 0xFFFF, log.guest_report.rdx & 0xFFFF);
  print_exit_counts(log);
  print_io_exit_kinds(log, layout::BENCH_PORT);
  console::printf("vmx: %u I/O exits (%u string), %u bytes to COM1\n", io_exits(log),
                  log.string_io_exits, log.com1_bytes_out);
  console::printf("vmx: %lu TSC ticks in the guest and its exits\n", guest_ticks);
  console::printf("vmx: guest's VGA row %u: %.52s\n", header.vga_row, line);
  if (header.bench_outs != 0) {
    // In Bochs the TSC counts instructions: this is the round trip, the
    // guest's OUT and LOOP included (make bench splits off the VMM's part).
    console::printf("vmx: exit round trip: %u OUTs to port 0x%x in %u TSC ticks, %u.%02u each\n",
                    header.bench_outs, layout::BENCH_PORT, bench_ticks, bench_ticks / header.bench_outs,
                    bench_ticks % header.bench_outs * 100 / header.bench_outs);
  }
  if (!starts_with(line, "Hello from Guest VM")) {
    end_run("guest-failed", "vga-row=%u", header.vga_row);
  }
  const UartShadow& seen = log.guest_uart;
  // COM1 from the UART itself: the VMM's setup, whatever the guest wrote
  // (its own view, the shadow, is in the explanation below when it matters).
  const uint16_t guest_divisor = static_cast<uint16_t>(seen.dlm << 8 | seen.dll);
  console::printf("vmx: COM1 after the guest: LCR 0x%02x MCR 0x%02x IER 0x%02x divisor %u\n",
                  com1_after.lcr, com1_after.mcr, com1_after.ier, com1_after.divisor);
  if (inject_case == layout::INJECT_GUEST_UART_SETUP) {
    explain_injection("the guest went on and halted; COM1 kept LCR 0x%02x MCR 0x%02x divisor %u, "
                      "the guest read back LCR 0x%02x MCR 0x%02x divisor %u", com1_after.lcr,
                      com1_after.mcr, com1_after.divisor, seen.lcr, seen.mcr, guest_divisor);
  } else if (inject_case == layout::INJECT_GUEST_FAKE_ACPI) {
    // Only to show what the guest planted: the search again, now, over
    // what the guest left in low memory. Its result is printed, never used.
    const acpi::PowerOff now = acpi::find_power_off(acpi::identity_mapped_memory());
    explain_injection("the guest halted; a search now finds PM1a_CNT 0x%x, the VMM uses the "
                      "0x%x it kept", now.found ? now.pm1a_cnt : 0u, power_off.pm1a_cnt);
  } else if (inject_case == layout::INJECT_GUEST_REWRITE_HEADER) {
    explain_injection("the guest halted; its header says row %u, the VMM used row %u (its "
                      "copy)", row_in_guest_header, header.vga_row);
  } else {
    explain_injection("the guest went on and halted; %u access(es) denied, its INS read 0x%08x",
                      log.denied_accesses, bad_port_ins);
  }
  // (Under 80 columns: the round trip is on its own line above.)
  end_run("ok", "exits=%u io-exits=%u com1-bytes=%u denied=%u", total_exits(log), io_exits(log),
          log.com1_bytes_out, log.denied_accesses);
}

}  // namespace vmx
