// The V86 demo's profile (guests/profile.h): the 2007 lecture's guest in a
// virtual-8086 task. Its devices are COM1 and the benchmark's port, every
// other port denied; its own exits are the guest's VMCALL (its end: the
// #GP its HLT raised, or any other) and, without the VMX-preemption timer,
// the PIT's ticks; it ends `ok` when the guest halted with its line on the
// screen, `guest-failed` when the line is not there, `guest-timeout` when
// its two seconds ran out.
#include "guests/v86_demo/devices.h"
#include "guests/v86_demo/plan.h"

#include "guest_header.h"
#include "ia32/instructions.h"
#include "ia32/vmx/interruption_info.h"
#include "common/console.h"
#include "common/end_run.h"
#include "common/uart16550.h"
#include "guests/guest_header_check.h"
#include "machine.h"
#include "vmx/bringup/phases.h"
#include "vmx/exit_path.h"
#include "vmx/fault_cases.h"
#include "vmx/guest_timer.h"

namespace guests::v86_demo {

namespace {

using ia32::vmx::ExitReason;
using ia32::vmx::VmcsField;
using namespace vmx::exit_path;

uint64_t physical_address(const void* p) { return reinterpret_cast<uint64_t>(p); }

// ---------------------------------------------------------------- devices

void attach(Machine& m, vmx::Vcpu& vcpu, uint64_t tsc_ticks_in_limit) {
  if (!attach_devices(m.ports, m.v86_demo, vmx::guest_timer::uart_byte_wait_ticks(tsc_ticks_in_limit))) {
    end_run("vmx-failed", "step=devices error=0");
  }
  vcpu.ports = &m.ports;
}

// ---------------------------------------------------------------- plan

void print_plan(const vmx::VmcsPlan& p, const layout::GuestHeader& guest, const State& s) {
  if (p.image.controls.ept_pointer != 0) {
    console::printf("vmx: guest memory: EPT 0x%lx maps 0x%x-0x%x\n", p.image.controls.ept_pointer,
                    layout::GUEST_ADDR, layout::GUEST_ADDR + guest.memory_bytes - 1);
    console::printf("vmx:   and 0xb8000-0xbffff only\n");
  } else {
    console::printf("vmx: guest memory: no EPT: its 4 MiB page; page directory held\n");
    console::printf("vmx:   by the VMM at 0x%lx\n", physical_address(s.page_directory));
  }
  console::printf("vmx: guest time bound %u ms (%s)%s\n", vmx::guest_timer::limit_ms,
                  p.preemption_timer ? "VMX-preemption timer" : "PIT",
                  p.nmi_exiting ? "; host NMIs exit" : "");
}

void make_plan(Machine& m, vmx::Vcpu& vcpu, vmx::PlanInputs in) {
  State& s = m.v86_demo;
  const layout::GuestHeader& guest = m.guest;
  // The guest's PDE 0 as its header says, in its zeroed tail (within
  // memory_bytes: checked in 64 bits by the header check).
  *reinterpret_cast<volatile uint32_t*>(uintptr_t{layout::GUEST_ADDR} +
                                        guest.page_directory_offset) = guest.pde0;
  vcpu.plan = plan(in, {guest, layout::GUEST_ADDR, &s.ept, physical_address(&s.ept),
                        s.page_directory, physical_address(s.page_directory)});
  vmx::bringup::accept_plan(vcpu, m.msrs);
  print_plan(vcpu.plan, guest, s);
  const bool ept = vcpu.plan.image.controls.ept_pointer != 0;
  vcpu.memory = vmx::guest_memory(
      ept ? vmx::GuestMemory::Kind::ept : vmx::GuestMemory::Kind::first_4mib, ept ? &s.ept : nullptr);
  vcpu.bound = vmx::guest_timer::TimeBound::of(in.tsc_ticks_in_limit, vcpu.plan.preemption_timer,
                                  vcpu.plan.timer_shift,
                                  vcpu.plan.preemption_timer ? 0 : vmx::guest_timer::pit_ticks_for_limit);
}

// ---------------------------------------------------------------- exits

// The guest's end: its #GP handler's VMCALL, after its HLT (or any other #GP).
void handle_vmcall(vmx::Vcpu& vcpu) {
  const uint32_t eax = static_cast<uint32_t>(vcpu.context.registers.rax);
  if (eax == layout::GUEST_VMCALL_HALTED) return end_guest(vcpu, {vmx::guest_end::halt, 0, 0});
  return stop_with_dump(vcpu, eax == layout::GUEST_VMCALL_FAULT
                                  ? "guest reported an unexpected #GP"
                                  : "VMCALL without the guest's report");
}

// A PIT tick (vmx/guest_timer.h): the CPU acknowledged the interrupt on
// exit; the PIC wants its EOI. Past the limit the guest is out of time.
void handle_external_interrupt(vmx::Vcpu& vcpu) {
  const ia32::vmx::InterruptionInfo interrupt{
      static_cast<uint32_t>(vmread_or_zero(VmcsField::exit_interruption_info))};
  if (interrupt.valid() && interrupt.vector() == vmx::guest_timer::irq0_vector + 7) {
    return;  // spurious IRQ7: no EOI, not a tick
  }
  vmx::guest_timer::end_of_interrupt();
  if (!interrupt.valid() || interrupt.vector() != vmx::guest_timer::irq0_vector) {
    return stop_with_dump(vcpu, "an external interrupt other than the PIT's");
  }
  vmx::guest_timer::TimeBound& bound = vcpu.bound;
  ++bound.pit_ticks;
  if (bound.pit_tick_limit != 0 && bound.pit_ticks >= bound.pit_tick_limit) {
    return out_of_time(vcpu);
  }
  // (The clock check keeps the guest's IF set for the next tick.)
}

constexpr vmx::HandlerTable handlers = vmx::make_handler_table(
    handle_unexpected, {
                           {ExitReason::exception_or_nmi, handle_exception_or_nmi},
                           {ExitReason::io_instruction, handle_io},
                           {ExitReason::ept_violation, handle_ept_violation},
                           {ExitReason::preemption_timer, handle_preemption_timer},
                           {ExitReason::vmcall, handle_vmcall},
                           {ExitReason::external_interrupt, handle_external_interrupt},
                       });

// ---------------------------------------------------------------- run

// The header in guest memory: the VMM writes what the guest reads there
// (its row) before it runs, and reads once the numbers it reports there
// after it has stopped, to print them. Nothing in it is used otherwise.
volatile layout::GuestHeader& header_in_guest_memory() {
  return *reinterpret_cast<volatile layout::GuestHeader*>(uintptr_t{layout::GUEST_ADDR});
}

// The guest's line goes to the row the console would write next, so that
// it stays on the screen as one line of the run's output. The row is the
// VMM's (its copy), told to the guest through its header.
void hand_console_row_to_guest(layout::GuestHeader& guest) {
  const int row = console::row();
  if (row >= 0 && row < guest_vga_rows) guest.vga_row = static_cast<uint16_t>(row);
  header_in_guest_memory().vga_row = guest.vga_row;
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

// The guest's I/O exits by port and direction, decoded.
void print_io_exit_kinds(const devices::PortMap& ports, const vmx::ExitStats& stats) {
  for (unsigned slot = 1; slot <= ports.ranges(); ++slot) {
    const devices::PortMap::Range& r = ports.range(static_cast<uint8_t>(slot));
    if (stats.port_accesses[slot][0] != 0) {
      console::printf("vmx:   io-instruction out 0x%x (%s) x%u\n", r.first, r.out_name,
                      stats.port_accesses[slot][0]);
    }
    if (stats.port_accesses[slot][1] != 0) {
      console::printf("vmx:   io-instruction in 0x%x (%s) x%u\n", r.first, r.in_name,
                      stats.port_accesses[slot][1]);
    }
  }
  if (stats.string_io_exits != 0) {
    console::printf("vmx:   io-instruction rep outsb (COM1 THR) x%u\n", stats.string_io_exits);
  }
}

struct Report {
  uint64_t guest_ticks;
  uint32_t elapsed_ms;
  Uart16550::Setup com1_after;  // COM1 as the guest left it, before the VMM set it up again
  char screen_line[81];         // the guest's row on the screen
  uint32_t bench_ticks;         // what the guest reported in its header
  const acpi::PowerOff* power_off;  // kept before the guest ran
};

[[noreturn]] void timed_out(vmx::Vcpu& vcpu, const Report& report, const State& s) {
  const vmx::ExitLog& log = vcpu.log;
  vmx::print_exit(log.info, total_exits(log.stats), nullptr);
  vmx::bringup::print_exit_counts(log, "");
  vmx::bringup::leave_vmx_operation(vcpu);
  const char* timer = vcpu.plan.preemption_timer ? "preemption" : "pit";
  // Which clock said so: the one that exited, or the deadline that every
  // exit checks (a guest that spends its time in exits).
  const uint32_t basic = ia32::vmx::basic_exit_reason(log.info.exit_reason);
  const char* by = basic == static_cast<uint32_t>(ExitReason::preemption_timer)
                       ? "the VMX-preemption timer"
                   : basic == static_cast<uint32_t>(ExitReason::external_interrupt)
                       ? "the PIT (external-interrupt exits)"
                       : "the deadline checked at every VM exit";
  console::printf("vmx: the guest used up its %u ms, its exits' time included: %u ms "
                  "(%s), %u bytes to COM1\n",
                  vmx::guest_timer::limit_ms, report.elapsed_ms, by, s.com1.bytes_out);
  vmx::fault_cases::timed_out(by);
  end_run("guest-timeout", "limit-ms=%u elapsed-ms=%u timer=%s exits=%u com1-bytes=%u denied=%u",
          vmx::guest_timer::limit_ms, report.elapsed_ms, timer, total_exits(log.stats),
          s.com1.bytes_out, log.stats.denied_accesses);
}

[[noreturn]] void halted(vmx::Vcpu& vcpu, const Report& report, const Machine& m) {
  const vmx::ExitLog& log = vcpu.log;
  const layout::GuestHeader& guest = m.guest;
  const State& s = m.v86_demo;
  vmx::bringup::leave_vmx_operation(vcpu);
  const uint32_t exits = total_exits(log.stats);
  // The guest's own end: its last exit in a line, not decoded in full.
  console::printf("vmx: exit %u: reason %u %s: the guest's report of its HLT\n", exits,
                  ia32::vmx::basic_exit_reason(log.info.exit_reason),
                  ia32::vmx::exit_reason_name(log.info.exit_reason));
  console::printf("vmx: guest halted at %04lx:%04lx; VMCLEAR, VMXOFF, CR4.VMXE cleared\n",
                  log.guest_report.rcx & 0xFFFF, log.guest_report.rdx & 0xFFFF);
  vmx::bringup::print_exit_counts(log, "");
  print_io_exit_kinds(m.ports, log.stats);
  const uint32_t io_exits = exits_by(log.stats, ExitReason::io_instruction);
  console::printf("vmx: %u I/O exits (%u string), %u bytes to COM1\n", io_exits,
                  log.stats.string_io_exits, s.com1.bytes_out);
  console::printf("vmx: %lu TSC ticks in the guest and its exits\n", report.guest_ticks);
  console::printf("vmx: guest's VGA row %u: %.52s\n", guest.vga_row, report.screen_line);
  if (guest.bench_outs != 0) {
    // In Bochs the TSC counts instructions: this is the round trip, the
    // guest's OUT and LOOP included (make bench splits off the VMM's part).
    const uint32_t ticks = report.bench_ticks;
    console::printf("vmx: exit round trip: %u OUTs to port 0x%x in %u TSC ticks, %u.%02u each\n",
                    guest.bench_outs, layout::BENCH_PORT, ticks, ticks / guest.bench_outs,
                    ticks % guest.bench_outs * 100 / guest.bench_outs);
  }
  if (!starts_with(report.screen_line, "Hello from Guest VM")) {
    end_run("guest-failed", "vga-row=%u", guest.vga_row);
  }
  // COM1 from the UART itself: the VMM's setup, whatever the guest wrote.
  console::printf("vmx: COM1 after the guest: LCR 0x%02x MCR 0x%02x IER 0x%02x divisor %u\n",
                  report.com1_after.lcr, report.com1_after.mcr, report.com1_after.ier,
                  report.com1_after.divisor);
  vmx::fault_cases::guest_halted(s.com1.guest_uart, log.stats.denied_accesses, report.com1_after,
                                 *report.power_off, guest.vga_row);
  // (Under 80 columns: the round trip is on its own line above.)
  end_run("ok", "exits=%u io-exits=%u com1-bytes=%u denied=%u", exits, io_exits,
          s.com1.bytes_out, log.stats.denied_accesses);
}

void run(Machine& m, vmx::Vcpu& vcpu) {
  State& s = m.v86_demo;
  layout::GuestHeader& guest = m.guest;
  // Everything the end of the run needs is found now and kept in VMM
  // memory: the ACPI power-off (common/end_run.h) and, below, the row of the
  // guest's screen line.
  const acpi::PowerOff& power_off = end_run_keep_power_off();
  console::printf("vmx: power-off kept: PM1a_CNT 0x%x SLP_TYPa %u\n", power_off.pm1a_cnt,
                  power_off.slp_typ_a);
  console::printf("vmx: VMLAUNCH: V86 guest at %04x:%04x\n", guest.entry_cs, guest.entry_ip);
  hand_console_row_to_guest(guest);
  vmx::fault_cases::before_launch();
  if (!vcpu.plan.preemption_timer) s.pic_masks = vmx::guest_timer::start_pit_ticks();
  const vmx::bringup::GuestRun guest_run = vmx::bringup::launch(vcpu);
  Report report{};
  report.power_off = &power_off;
  report.guest_ticks = guest_run.guest_ticks;
  report.elapsed_ms = static_cast<uint32_t>(guest_run.guest_ticks * vmx::guest_timer::limit_ms /
                                            vcpu.plan.tsc_ticks_in_limit);
  if (!vcpu.plan.preemption_timer) vmx::guest_timer::stop_pit_ticks(s.pic_masks);
  // COM1 as the guest left it, then set up again for the VMM's own lines:
  // the guest wrote only the shadow of its setup (devices/uart_shadow.h),
  // and this says so from the UART itself.
  console::flush();
  report.com1_after = Uart16550(layout::COM1_PORT).read_setup();
  console::setup_serial_again();
  // Before the console writes anything (its state is VMM data too).
  vmx::fault_cases::guest_stopped();
  // The guest's screen line before the console writes anything, then the
  // console steps past it (its newline also ends the guest's serial line on
  // the terminal, which the guest already ended with CR LF: one blank line
  // there).
  read_guest_screen_line(guest.vga_row, report.screen_line);
  // What the guest wrote into its header for the VMM to print (a number,
  // nothing more), read once now that it no longer runs.
  report.bench_ticks = header_in_guest_memory().bench_ticks;
  console::skip_screen_line();
  // A guest line cut off mid-way (a guest stopped while it sent) ends
  // before the VMM's first.
  if (!s.com1.guest_line_start) console::end_serial_line();

  vmx::bringup::end_if_entry_failed(vcpu, guest_run, m.msrs);
  vmx::bringup::print_denied(vcpu.log);
  if (guest_run.outcome == vmx::exit_guest_timeout) timed_out(vcpu, report, s);
  vmx::bringup::end_if_stopped(vcpu, guest_run);
  halted(vcpu, report, m);
}

}  // namespace

extern const GuestProfile profile;
const GuestProfile profile{"v86-demo", layout::GUEST_KIND_V86, attach, make_plan, run,
                           &handlers};

}  // namespace guests::v86_demo
