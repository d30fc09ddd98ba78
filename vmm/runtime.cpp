// What a freestanding C++ program must provide itself: the four memory
// functions GCC may call even without a library. Compiled into the VMM and
// into stage2's 32-bit part, never into host tests (the C library has them).
#include <stddef.h>
#include <stdint.h>

extern "C" {

void* memset(void* dst, int value, size_t n) {
  auto* d = static_cast<volatile uint8_t*>(dst);  // volatile: no call to ourselves
  for (size_t i = 0; i < n; ++i) d[i] = uint8_t(value);
  return dst;
}

void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<volatile uint8_t*>(dst);
  auto* s = static_cast<const uint8_t*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  auto* d = static_cast<volatile uint8_t*>(dst);
  auto* s = static_cast<const uint8_t*>(src);
  if (d < s) {
    for (size_t i = 0; i < n; ++i) d[i] = s[i];
  } else {
    for (size_t i = n; i > 0; --i) d[i - 1] = s[i - 1];
  }
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  auto* x = static_cast<const uint8_t*>(a);
  auto* y = static_cast<const uint8_t*>(b);
  for (size_t i = 0; i < n; ++i) {
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

}  // extern "C"
