// The machine's one output: every byte goes to the VGA text screen and to
// COM1. Used by stage2's 32-bit part and by the VMM (each has its own copy).
#pragma once

#include <stdint.h>

namespace console {

// Capacity of printf's stack buffer, NUL included: longer output is cut to
// the first 255 characters and ends in "...\n" when truncated (see printf).
inline constexpr int printf_buffer_bytes = 256;

// Clears the screen (attribute 0x07) and probes and programs COM1. Call once
// before anything else; output before init() is dropped.
void init();
// Like init(), but keeps what an earlier stage left on the screen and goes
// on at the start of `row` (the VMM after stage2).
void resume(int row);
// Probes and programs COM1 again, the screen untouched: after someone else
// (the guest) had it.
void setup_serial_again();
// Ends a line on COM1 only: one someone else (the guest) left open.
void end_serial_line();
// Moves the screen's cursor to the start of the next row, COM1 untouched:
// past a row someone else (the guest) wrote on the screen.
void skip_screen_line();
// Moves the screen's cursor to `row`, `col` (clamped to the screen), COM1
// untouched: where someone else (the guest) left off.
void move_screen_to(int row, int col);
// The screen row the next line goes to (handed from stage2 to the VMM).
int row();
void write(const char* s);
// Returns once everything written has left COM1 (before a power-off).
void flush();
// Formats with vformat() (common/format.h) into a 256-byte stack buffer. Output
// longer than 255 characters is truncated; the last characters of the cut
// text are replaced by "...\n" so the truncation is visible.
void printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// VGA attribute for the following text (the serial line has no colour).
void set_color(uint8_t attr);

}  // namespace console
