// The VMX demo's main line (vmx/demo.h). 64-bit VMM only: privileged
// instructions throughout; the decisions it takes are in the pure, tested
// parts (controls, machine, guest_state, io_emulation).
#include "vmx/demo.h"
#include "vmx/entry_checks.h"

#include "guest_header.h"
#include "ia32/instructions.h"
#include "ia32/vmx/capabilities.h"
#include "ia32/vmx/controls.h"
#include "ia32/vmx/instruction_error.h"
#include "ia32/vmx/instructions.h"
#include "layout.h"
#include "lib/console.h"
#include "lib/end_run.h"
#include "vmx/controls.h"
#include "vmx/exits.h"
#include "vmx/guest_state.h"
#include "vmx/machine.h"

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

VmcsImage image;

struct VmxState {
  bool in_vmx_operation;
  bool vmcs_current;
} state;

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
  end_run("vmx-failed", "step=%s error=%u", step, error);
}

void check(VmxResult result, const char* step) {
  if (result != VmxResult::success) fail_instruction(step, result);
}

void require_vmx() {
  uint32_t regs[4];
  cpuid(1, 0, regs);
  if ((regs[2] & ia32::vmx::cpuid1_ecx_vmx) == 0) end_run("no-vmx", "cpuid.1:ecx.vmx=0");
}

// IA32_FEATURE_CONTROL (SDM 24.7): locked with VMX off means VMXON would
// #GP until reset; unlocked, we turn VMX on and lock it ourselves.
void enable_vmx_in_feature_control() {
  namespace fc = ia32::vmx::feature_control;
  const uint64_t value = rdmsr(msr::feature_control);
  if ((value & fc::lock) != 0) {
    if ((value & fc::vmx_outside_smx) == 0) {
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
  console::printf("vmx: IA32_VMX_BASIC 0x%016lx: revision 0x%x, region %u bytes, memory type %u,"
                  " true controls %s, INS/OUTS info %s\n",
                  m.basic, basic.revision_id(), basic.region_bytes(), basic.vmcs_memory_type(),
                  basic.has_true_controls() ? "yes" : "no",
                  basic.reports_ins_outs_info() ? "yes" : "no");
  console::printf("vmx: pin 0x%016lx proc 0x%016lx exit 0x%016lx entry 0x%016lx\n", m.pin_based,
                  m.primary_processor, m.exit, m.entry);
  if (basic.has_true_controls()) {
    console::printf("vmx: true: pin 0x%016lx proc 0x%016lx exit 0x%016lx entry 0x%016lx\n",
                    m.true_pin_based, m.true_primary_processor, m.true_exit, m.true_entry);
  }
  console::printf("vmx: proc2 0x%016lx misc 0x%016lx cr0 fixed 0x%lx/0x%lx cr4 fixed 0x%lx/0x%lx\n",
                  m.secondary_processor, m.misc, m.cr0_fixed0, m.cr0_fixed1, m.cr4_fixed0,
                  m.cr4_fixed1);
}

ControlWords settle_controls(const CapabilityMsrs& msrs) {
  const ControlResult result = compute_controls(msrs, demo_wanted_controls);
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
  console::printf("vmx: controls: pin 0x%x, primary 0x%x, secondary 0x%x, exit 0x%x, entry 0x%x\n",
                  c.pin_based, c.primary_processor, c.secondary_processor, c.exit, c.entry);
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

layout::GuestHeader& prepare_guest(const layout::BootInfo& boot_info) {
  const layout::LoadedPayload& payload = boot_info.payloads[layout::PAYLOAD_GUEST];
  auto& header = *reinterpret_cast<layout::GuestHeader*>(uintptr_t{layout::GUEST_ADDR});
  if (payload.load_addr != layout::GUEST_ADDR) {
    end_run("guest-invalid", "load-addr=0x%x", payload.load_addr);
  }
  if (const char* problem = check_guest_header(header, payload.size)) {
    end_run("guest-invalid", "problem=\"%s\"", problem);
  }
  // The tail: the page directory and the stacks, then PDE 0 as the header
  // says.
  auto* guest = reinterpret_cast<uint8_t*>(uintptr_t{layout::GUEST_ADDR});
  __builtin_memset(guest + header.image_bytes, 0, header.memory_bytes - header.image_bytes);
  *reinterpret_cast<uint32_t*>(guest + header.page_directory_offset) = header.pde0;
  return header;
}

// The guest's line goes to the row the console would write next, so that it
// stays on the screen as one line of the run's output (see below).
void hand_console_row_to_guest(layout::GuestHeader& header) {
  const int row = console::row();
  if (row >= 0 && row < 25) header.vga_row = static_cast<uint16_t>(row);
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

}  // namespace

void run_demo(const layout::BootInfo& boot_info) {
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
  const ControlWords controls = settle_controls(msrs);
  const FixedBits cr0_fixed{msrs.cr0_fixed0, msrs.cr0_fixed1};
  const FixedBits cr4_fixed{msrs.cr4_fixed0, msrs.cr4_fixed1};
  const uint64_t guest_cr0 = settle_control_register("guest-cr0", guest_cr0_wanted, cr0_fixed);
  const uint64_t guest_cr4 = settle_control_register("guest-cr4", guest_cr4_wanted, cr4_fixed);
  layout::GuestHeader& header = prepare_guest(boot_info);

  // VMXON region and VMCS: the revision ID in the first dword, bit 31 clear.
  *reinterpret_cast<uint32_t*>(vmxon_region) = basic.revision_id();
  *reinterpret_cast<uint32_t*>(vmcs_region) = basic.revision_id();
  trap_ports(io_bitmap_a, io_bitmap_b, layout::COM1_PORT, layout::COM1_PORT + 7);
  trap_ports(io_bitmap_a, io_bitmap_b, header.bench_port, header.bench_port);

  enter_vmx_control_registers(msrs);
  check(ia32::vmx::vmxon(physical_address(vmxon_region)), "vmxon");
  state.in_vmx_operation = true;
  check(ia32::vmx::vmclear(physical_address(vmcs_region)), "vmclear");
  check(ia32::vmx::vmptrld(physical_address(vmcs_region)), "vmptrld");
  state.vmcs_current = true;
  console::printf("vmx: VMXON, VMCLEAR, VMPTRLD done (revision 0x%x)\n", basic.revision_id());

  build_v86_guest_state(header, layout::GUEST_ADDR, guest_cr0, guest_cr4, image.guest);
  build_control_state(controls, physical_address(io_bitmap_a), physical_address(io_bitmap_b),
                      cr0_fixed, cr4_fixed, image.guest, image.controls);
  read_host_state(image.host);
  write_vmcs();

  prepare_exit_handling(basic.reports_ins_outs_info(), header.bench_port);
  console::printf("vmx: VMLAUNCH: V86 guest at %04x:%04x\n", header.entry_cs, header.entry_ip);
  hand_console_row_to_guest(header);
  const uint64_t tsc_launch = rdtsc();
  const uint64_t outcome = vmx_enter_guest();
  const uint64_t guest_ticks = rdtsc() - tsc_launch;
  // Read the guest's screen line before the console writes anything, then
  // step the console past it (its newline also ends the guest's serial line
  // on the terminal, which the guest already ended with CR LF: one blank
  // line there).
  char line[81];
  read_guest_screen_line(header.vga_row, line);
  console::skip_screen_line();
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
    end_run("entry-failed", "check=%s error=%s", check, reason);
  }
  if (outcome != exit_guest_done) {
    const char* reason = ia32::vmx::exit_reason_name(log.info.exit_reason);
    if (log.stop_note != nullptr) console::printf("vmx: stopped: %s\n", log.stop_note);
    print_exit_counts(log);
    leave_vmx_operation();
    end_run("guest-exit", "reason=%s", reason);
  }

  // The last exit, the guest's VMCALL, decoded in full.
  print_exit(log.info, &log.guest_report);
  leave_vmx_operation();
  console::printf("vmx: guest halted at %04lx:%04lx; VMCLEAR, VMXOFF, CR4.VMXE cleared\n",
                  log.guest_report.rcx & 0xFFFF, log.guest_report.rdx & 0xFFFF);
  print_exit_counts(log);
  print_io_exit_kinds(log, header.bench_port);
  console::printf("vmx: %u I/O exits (%u string), %u bytes to COM1, %lu TSC ticks in the guest"
                  " and its exits\n",
                  io_exits(log), log.string_io_exits, log.com1_bytes_out, guest_ticks);
  console::printf("vmx: VGA row %u: %s\n", header.vga_row, line);
  if (header.bench_outs != 0) {
    // In Bochs the TSC counts instructions: this is the round trip, the
    // guest's OUT and LOOP included (make bench splits off the VMM's part).
    console::printf("vmx: exit round trip: %u OUTs to port 0x%x in %u TSC ticks, %u.%02u each\n",
                    header.bench_outs, header.bench_port, header.bench_ticks,
                    header.bench_ticks / header.bench_outs,
                    header.bench_ticks % header.bench_outs * 100 / header.bench_outs);
  }
  if (!starts_with(line, "Hello from Guest VM")) {
    end_run("guest-failed", "vga-row=%u", header.vga_row);
  }
  end_run("ok", "exits=%u io-exits=%u com1-bytes=%u round-trip-ticks=%u", total_exits(log),
          io_exits(log), log.com1_bytes_out,
          header.bench_outs ? header.bench_ticks / header.bench_outs : 0);
}

}  // namespace vmx
