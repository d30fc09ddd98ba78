// What a freestanding C++ program must provide itself: the four memory
// functions GCC may call even without a library. Compiled into the VMM and
// into stage2's 32-bit part, never into host tests (the C library has them).
#include <stddef.h>
#include <stdint.h>

extern "C" {

// REP STOS/MOVS by machine words: Bochs, where boot time is measured,
// counts each iteration as one instruction, a byte loop as four or more.
void* memset(void* dst, int value, size_t n) {
  uintptr_t pattern = uint8_t(value);
  pattern *= ~uintptr_t{0} / 0xFF;  // the byte in every byte of a word
  void* d = dst;
  size_t words = n / sizeof(uintptr_t);
  size_t bytes = n % sizeof(uintptr_t);
#ifdef __x86_64__
  asm volatile("rep stosq" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
#else
  asm volatile("rep stosl" : "+D"(d), "+c"(words) : "a"(pattern) : "memory");
#endif
  asm volatile("rep stosb" : "+D"(d), "+c"(bytes) : "a"(pattern) : "memory");
  return dst;
}

void* memcpy(void* dst, const void* src, size_t n) {
  void* d = dst;
  const void* s = src;
  size_t words = n / sizeof(uintptr_t);
  size_t bytes = n % sizeof(uintptr_t);
#ifdef __x86_64__
  asm volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
#else
  asm volatile("rep movsl" : "+D"(d), "+S"(s), "+c"(words) : : "memory");
#endif
  asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(bytes) : : "memory");
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
