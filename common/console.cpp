#include "common/console.h"

#include <stdarg.h>

#include "layout.h"
#include "common/format.h"
#include "common/run_state.h"

namespace console {
namespace {

VgaText& screen() { return run_state().screen; }
Uart16550& serial() { return run_state().serial; }

// The screen and the UART where they are (run_state() holds them zeroed
// until now: a reinterpret_cast cannot appear in a constant expression).
void attach() {
  RunState& s = run_state();
  s.screen = VgaText(reinterpret_cast<volatile uint16_t*>(uintptr_t{layout::VGA_TEXT_ADDR}));
  s.serial = Uart16550(static_cast<uint16_t>(layout::COM1_PORT));
}

}  // namespace

void init() {
  attach();
  screen().clear();
  serial().init();
  run_state().console_ready = true;
}

void resume(int start_row) {
  attach();
  screen().move_to(start_row, 0);
  serial().init();
  run_state().console_ready = true;
}

void setup_serial_again() { serial().init(); }

void end_serial_line() { serial().put('\n'); }

int row() { return screen().col() == 0 ? screen().row() : screen().row() + 1; }

void skip_screen_line() { screen().put('\n'); }

void move_screen_to(int row, int col) { screen().move_to(row, col); }

void write(const char* s) {
  if (!run_state().console_ready) return;
  for (; *s != '\0'; ++s) {
    screen().put(*s);
    serial().put(*s);
  }
}

void flush() { serial().flush(); }

void printf(const char* fmt, ...) {
  char buffer[printf_buffer_bytes];
  va_list ap;
  va_start(ap, fmt);
  size_t length = vformat(buffer, sizeof buffer, fmt, ap);
  va_end(ap);
  if (length >= sizeof buffer) {
    char* end = buffer + sizeof buffer - 1;  // at the NUL vformat wrote
    end[-4] = '.';
    end[-3] = '.';
    end[-2] = '.';
    end[-1] = '\n';
  }
  write(buffer);
}

void set_color(uint8_t attr) { screen().set_attr(attr); }

}  // namespace console
