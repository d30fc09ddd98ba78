// The one formatter: a small printf used by the console, the exit trace and
// the tests. Freestanding, no heap, no 64-bit division (it runs in stage2's
// -m32 part too).
//
// Conversions: %s %c %d %i %u %x %X %p %%
// Flags: '-' (left-justify), '0' (pad with zeros; ignored with '-' or a
// precision on integers). Width: digits or '*'. Precision: '.' digits or
// '.*' — the maximum characters for %s, the minimum digits for integers.
// Length modifiers: hh, h, l, ll, z.
// %p prints "0x" and 16 hex digits on both builds; %s of nullptr prints
// "(null)". An unknown conversion is printed as-is (e.g. "%q").
#pragma once

#include <stdarg.h>
#include <stddef.h>

// Like vsnprintf: writes at most cap-1 characters plus a NUL into buf (when
// cap > 0), and returns the length the full output would have had, so
// `result >= cap` means it was truncated.
size_t vformat(char* buf, size_t cap, const char* fmt, va_list ap);

size_t format(char* buf, size_t cap, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));
