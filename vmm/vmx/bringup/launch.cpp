// Phase 7: VMLAUNCH. From here the guest runs and its exits are handled by
// the exit stub and handlers (vmx/exits.h) until one stops it for good or
// the entry itself fails; then what the guest left is read once, before the
// VMM's console writes anything.
#include "vmx/bringup/phases.h"

#include "ia32/instructions.h"
#include "common/console.h"
#include "common/end_run.h"
#include "vmx/exits.h"
#include "vmx/guest_header_check.h"
#include "vmx/fault_cases.h"
#include "vmx/guest_timer.h"

namespace vmx::bringup {

namespace {

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

}  // namespace

GuestRun run_guest(const VmcsPlan& plan, layout::GuestHeader& guest) {
  GuestRun run{};
  // Everything the end of the run needs is found now and kept in VMM
  // memory: the ACPI power-off (lib/end_run.h) and, below, the row of the
  // guest's screen line.
  run.power_off = &end_run_keep_power_off();
  console::printf("vmx: power-off kept: PM1a_CNT 0x%x SLP_TYPa %u\n", run.power_off->pm1a_cnt,
                  run.power_off->slp_typ_a);
  const GuestClock clock{plan.tsc_ticks_in_limit, plan.preemption_timer, plan.timer_shift,
                         plan.preemption_timer ? 0 : guest_timer::pit_ticks_for_limit};
  prepare_exit_handling(plan.reports_ins_outs_info, clock, plan.ept_tables);
  console::printf("vmx: VMLAUNCH: V86 guest at %04x:%04x\n", guest.entry_cs, guest.entry_ip);
  hand_console_row_to_guest(guest);
  fault_cases::before_launch();
  if (!plan.preemption_timer) guest_timer::start_pit_ticks();
  const uint64_t tsc_launch = start_guest_clock();
  run.outcome = vmx_enter_guest();
  run.guest_ticks = rdtsc() - tsc_launch;
  run.elapsed_ms =
      static_cast<uint32_t>(run.guest_ticks * guest_timer::limit_ms / plan.tsc_ticks_in_limit);
  if (!plan.preemption_timer) guest_timer::stop_pit_ticks();
  // COM1 as the guest left it, then set up again for the VMM's own lines:
  // the guest wrote only the shadow of its setup (vmx/uart_shadow.h), and
  // this says so from the UART itself.
  console::flush();
  run.com1_after = Uart16550(layout::COM1_PORT).read_setup();
  console::setup_serial_again();
  // Before the console writes anything (its state is VMM data too).
  fault_cases::guest_stopped();
  // The guest's screen line before the console writes anything, then the
  // console steps past it (its newline also ends the guest's serial line on
  // the terminal, which the guest already ended with CR LF: one blank line
  // there).
  read_guest_screen_line(guest.vga_row, run.screen_line);
  // What the guest wrote into its header for the VMM to print (a number,
  // nothing more), read once now that it no longer runs.
  run.bench_ticks = header_in_guest_memory().bench_ticks;
  console::skip_screen_line();
  // A guest line cut off mid-way (a guest stopped while it sent) ends
  // before the VMM's first.
  if (!exit_log().guest_line_start) console::end_serial_line();
  return run;
}

}  // namespace vmx::bringup
