#include "common/end_wait.h"

#include "ia32/io.h"
#include "ia32/pit.h"
#include "layout.h"
#include "common/format.h"
#include "common/run_state.h"

namespace end_wait {
namespace {

constexpr uint32_t ticks_per_poll = pit::input_hz / 20;  // 50 ms

bool key_pressed();

// True when a key ended the wait early, or when the PIT did not count down
// within its bound (pit::max_polls): no clock, no wait.
bool wait_50ms_or_key() {
  pit::start_channel2_countdown(ticks_per_poll);
  for (uint32_t polls = 0; !pit::channel2_done(); ++polls) {
    if (key_pressed() || polls >= pit::max_polls) return true;
  }
  return false;
}

bool key_pressed() {
  constexpr uint16_t kbc_status = 0x64, kbc_data = 0x60;
  if (inb(kbc_status) & 0x01) {  // output buffer full: a scancode
    (void)inb(kbc_data);
    return true;
  }
  constexpr uint16_t lsr = layout::COM1_PORT + 5;
  const uint8_t status = inb(lsr);
  return status != 0xFF && (status & 0x01);  // data ready (0xFF: no UART)
}

// The last row of the VGA text screen, written directly so that the
// countdown never scrolls the report away.
void show(const char* text) {
  volatile uint16_t* row = reinterpret_cast<volatile uint16_t*>(uintptr_t{layout::VGA_TEXT_ADDR}) +
                           24 * 80;
  int i = 0;
  for (; text[i] != '\0' && i < 80; ++i) row[i] = uint16_t(0x7000 | uint8_t(text[i]));
  for (; i < 80; ++i) row[i] = 0x7020;
}

}  // namespace

void set_seconds(uint16_t seconds) { run_state().end_wait_seconds = seconds; }

void wait_before_power_off() {
  for (uint32_t left = run_state().end_wait_seconds; left > 0; --left) {
    char line[80];
    format(line, sizeof line, " vmxboot: power-off in %u s; press a key to power off now", left);
    show(line);
    for (int poll = 0; poll < 20; ++poll) {
      if (wait_50ms_or_key()) return;
    }
  }
}

}  // namespace end_wait
