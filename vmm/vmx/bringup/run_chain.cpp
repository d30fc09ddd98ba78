// Phases 7 and 8 in chain mode (README "Chain mode"): VMLAUNCH of the
// real-mode loader, the guest's run until it ends itself (ACPI power-off,
// a reset, HLT with interrupts off), is stopped (an exit the VMM does not
// handle, an EPT violation, a triple fault) or runs out of time, then the
// result line. What chain mode shares with the demo's end (entry failures,
// stops, host NMIs) goes through leave().
#include "vmx/bringup/phases.h"

#include "ia32/instructions.h"
#include "common/low_memory.h"
#include "common/console.h"
#include "common/end_run.h"
#include "common/format.h"
#include "vmx/exits.h"
#include "vmx/guest_timer.h"

namespace vmx::bringup {

namespace {

using ia32::vmx::ExitReason;

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

uint32_t by_reason(const ExitLog& log, ExitReason reason) {
  return log.by_reason[static_cast<unsigned>(reason)];
}

// The proof that the code ran as a guest: its exits by reason, the ports it
// reached through the VMM, the CPUID leaves it asked.
void print_summary(const ExitLog& log, uint64_t guest_ticks) {
  print_exit_counts(log, "chain guest: ");
  uint32_t com1_in = 0, com1_out = 0;
  for (unsigned r = 0; r < com1_registers; ++r) {
    com1_in += log.com1_in[r];
    com1_out += log.com1_out[r];
  }
  console::printf("vmx:   I/O: COM1 0x3f8-0x3ff in %u out %u (%u bytes forwarded)", com1_in,
                  com1_out, log.com1_bytes_out);
  for (unsigned i = 0; i < 7; ++i) {
    if (log.chain_ports[i] != 0) console::printf(", %s %u", chain_port_names[i], log.chain_ports[i]);
  }
  console::printf("\n");
  if (log.denied_accesses != 0) console::printf("vmx:   I/O denied: %u\n", log.denied_accesses);
  console::printf("vmx:   CPUID leaves asked (%u):", log.cpuid_leaf_count);
  const uint32_t kept = log.cpuid_leaf_count < 16 ? log.cpuid_leaf_count : 16;
  for (uint32_t i = 0; i < kept; ++i) console::printf(" 0x%x", log.cpuid_leaves[i]);
  console::printf("\n");
  console::printf("vmx:   INT 15h memory calls answered: %u (E820 buffers refused: %u)\n",
                  log.int15_calls, log.int15_refused);
  console::printf("vmx:   %lu TSC ticks in the guest and its exits\n", guest_ticks);
}

}  // namespace

void run_chain(const VmcsPlan& plan, const CapabilityMsrs& msrs,
               const layout::GuestHeader& guest) {
  GuestRun run{};
  run.power_off = &end_run_keep_power_off();
  console::printf("vmx: power-off kept: PM1a_CNT 0x%x (the guest's power-off ends the run)\n",
                  plan.pm1a_cnt);
  const GuestClock clock{plan.tsc_ticks_in_limit, true, plan.timer_shift, 0};
  prepare_exit_handling(plan.reports_ins_outs_info, clock, nullptr);
  use_chain_exit_handlers(plan.pm1a_cnt, plan.hlt_activity, plan.emulator_panic_ports,
                          plan.memory_map);
  console::printf("vmx: VMLAUNCH: chain loader in real mode at %04x:%04x\n", guest.entry_cs,
                  guest.entry_ip);
  console::flush();
  hand_the_screen_to_the_guest();
  const uint64_t tsc_launch = start_guest_clock();
  run.outcome = vmx_enter_guest();
  run.guest_ticks = rdtsc() - tsc_launch;
  console::flush();
  run.com1_after = Uart16550(layout::COM1_PORT).read_setup();
  console::setup_serial_again();
  const ExitLog& log = exit_log();
  // A guest line cut off mid-way ends before the VMM's first.
  if (!log.guest_line_start) console::end_serial_line();
  take_the_screen_back();

  if (run.outcome == exit_guest_timeout) {
    print_exit(log.info, nullptr);
    print_summary(log, run.guest_ticks);
    leave_vmx_operation();
    console::printf("vmx: the chain guest used up its %u s (GUEST_LIMIT=)\n", plan.limit_seconds);
    end_run("guest-timeout", "guest=chain limit-s=%u exits=%u com1-bytes=%u",
            plan.limit_seconds, total_exits(log), log.com1_bytes_out);
  }
  if (run.outcome != exit_guest_done) {
    print_summary(log, run.guest_ticks);
    leave(run, plan, msrs, guest);  // entry failures, stops, host NMIs: as the demo's
  }
  print_exit(log.info, &log.guest_report);
  print_summary(log, run.guest_ticks);
  leave_vmx_operation();
  if (log.chain_end == ChainEnd::loader_failed) {
    const bool read = log.chain_end_detail == 1;
    end_run("guest-failed", "guest=chain step=%s detail=0x%x", read ? "read" : "signature",
            log.chain_end_detail2);
  }
  // poweroff: SLP_EN in the value written to PM1a_CNT (detail); reset: the
  // port (detail) and the value (detail2); halt: the guest's RIP; bios-panic:
  // the port and the value (the Bochs BIOS's source line).
  console::printf("vmx: guest end %s: 0x%x 0x%x\n", chain_end_name(log.chain_end),
                  log.chain_end_detail, log.chain_end_detail2);
  char port[16] = "";
  if (log.chain_end == ChainEnd::reset) format(port, sizeof(port), " port=0x%x", log.chain_end_detail);
  end_run("ok", "guest=chain guest-end=%s%s exits=%u io-exits=%u cpuid-exits=%u com1-bytes=%u",
          chain_end_name(log.chain_end), port, total_exits(log),
          by_reason(log, ExitReason::io_instruction), by_reason(log, ExitReason::cpuid),
          log.com1_bytes_out);
}

}  // namespace vmx::bringup
