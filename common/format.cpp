#include "common/format.h"

#include <stdint.h>

namespace {

// Collects output; counts every character but stores only what fits.
class Output {
 public:
  Output(char* buf, size_t cap) : buf_(buf), cap_(cap) {}

  void put(char c) {
    if (cap_ > 0 && length_ < cap_ - 1) buf_[length_] = c;
    ++length_;
  }

  void repeat(char c, int count) {
    for (int i = 0; i < count; ++i) put(c);
  }

  size_t finish() {
    if (cap_ > 0) buf_[length_ < cap_ - 1 ? length_ : cap_ - 1] = '\0';
    return length_;
  }

 private:
  char* buf_;
  size_t cap_;
  size_t length_ = 0;
};

struct Spec {
  bool left = false;
  bool zero = false;
  int width = 0;
  int precision = -1;  // -1: none given
};

// Divides *value by 10 in place and returns the remainder, using only
// 32-bit divisions: the i386 build has no libgcc for a 64-bit `/`. Long
// division over 16-bit limbs keeps every partial dividend below 10 << 16.
uint32_t divide_by_10(uint64_t* value) {
  uint64_t quotient = 0;
  uint32_t remainder = 0;
  for (int shift = 48; shift >= 0; shift -= 16) {
    uint32_t part = (remainder << 16) | static_cast<uint32_t>((*value >> shift) & 0xFFFF);
    quotient |= static_cast<uint64_t>(part / 10) << shift;
    remainder = part % 10;
  }
  *value = quotient;
  return remainder;
}

// Renders `magnitude` in base 10 or 16 into digits[], least significant
// first; returns the digit count (0 for a zero value, so that a precision
// of 0 can print nothing, as in C).
int render_digits(uint64_t magnitude, bool hex, bool upper, char digits[24]) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  int count = 0;
  while (magnitude != 0) {
    if (hex) {
      digits[count++] = alphabet[magnitude & 0xF];
      magnitude >>= 4;
    } else {
      digits[count++] = alphabet[divide_by_10(&magnitude)];
    }
  }
  return count;
}

void emit_integer(Output& out, const Spec& spec, uint64_t magnitude, bool negative,
                  bool hex, bool upper, const char* prefix) {
  char digits[24];
  int digit_count = render_digits(magnitude, hex, upper, digits);
  int min_digits = spec.precision >= 0 ? spec.precision : 1;
  int zeros = digit_count < min_digits ? min_digits - digit_count : 0;
  int prefix_length = 0;
  while (prefix[prefix_length] != '\0') ++prefix_length;
  int body = (negative ? 1 : 0) + prefix_length + zeros + digit_count;
  int padding = spec.width > body ? spec.width - body : 0;

  bool zero_pad = spec.zero && !spec.left && spec.precision < 0;
  if (zero_pad) {
    zeros += padding;
    padding = 0;
  }
  if (!spec.left) out.repeat(' ', padding);
  if (negative) out.put('-');
  for (int i = 0; i < prefix_length; ++i) out.put(prefix[i]);
  out.repeat('0', zeros);
  while (digit_count > 0) out.put(digits[--digit_count]);
  if (spec.left) out.repeat(' ', padding);
}

void emit_string(Output& out, const Spec& spec, const char* s) {
  if (s == nullptr) s = "(null)";
  int length = 0;
  while (s[length] != '\0' && (spec.precision < 0 || length < spec.precision)) ++length;
  int padding = spec.width > length ? spec.width - length : 0;
  if (!spec.left) out.repeat(' ', padding);
  for (int i = 0; i < length; ++i) out.put(s[i]);
  if (spec.left) out.repeat(' ', padding);
}

enum class Length { normal, hh, h, l, ll, z };

uint64_t fetch_unsigned(va_list& ap, Length length) {
  switch (length) {
    case Length::hh: return static_cast<unsigned char>(va_arg(ap, unsigned int));
    case Length::h: return static_cast<unsigned short>(va_arg(ap, unsigned int));
    case Length::l: return va_arg(ap, unsigned long);
    case Length::ll: return va_arg(ap, unsigned long long);
    case Length::z: return va_arg(ap, size_t);
    case Length::normal: break;
  }
  return va_arg(ap, unsigned int);
}

int64_t fetch_signed(va_list& ap, Length length) {
  switch (length) {
    case Length::hh: return static_cast<signed char>(va_arg(ap, int));
    case Length::h: return static_cast<short>(va_arg(ap, int));
    case Length::l: return va_arg(ap, long);
    case Length::ll: return va_arg(ap, long long);
    // The signed type matching size_t: ptrdiff_t has its width on every
    // target we build for.
    case Length::z: return va_arg(ap, ptrdiff_t);
    case Length::normal: break;
  }
  return va_arg(ap, int);
}

int parse_number(const char*& p) {
  int value = 0;
  while (*p >= '0' && *p <= '9') {
    if (value < 100000) value = value * 10 + (*p - '0');  // absurd widths saturate
    ++p;
  }
  return value;
}

}  // namespace

size_t vformat(char* buf, size_t cap, const char* fmt, va_list ap_in) {
  Output out(buf, cap);
  va_list ap;
  va_copy(ap, ap_in);

  for (const char* p = fmt; *p != '\0'; ++p) {
    if (*p != '%') {
      out.put(*p);
      continue;
    }
    const char* conversion_start = p;
    ++p;

    Spec spec;
    for (;; ++p) {
      if (*p == '-') spec.left = true;
      else if (*p == '0') spec.zero = true;
      else break;
    }
    if (*p == '*') {
      int width = va_arg(ap, int);
      if (width < 0) {  // C: a negative '*' width means '-' flag
        spec.left = true;
        width = width == INT32_MIN ? 0 : -width;
      }
      spec.width = width;
      ++p;
    } else {
      spec.width = parse_number(p);
    }
    if (*p == '.') {
      ++p;
      if (*p == '*') {
        int precision = va_arg(ap, int);
        spec.precision = precision < 0 ? -1 : precision;
        ++p;
      } else {
        spec.precision = parse_number(p);
      }
    }

    Length length = Length::normal;
    if (p[0] == 'h' && p[1] == 'h') { length = Length::hh; p += 2; }
    else if (p[0] == 'h') { length = Length::h; ++p; }
    else if (p[0] == 'l' && p[1] == 'l') { length = Length::ll; p += 2; }
    else if (p[0] == 'l') { length = Length::l; ++p; }
    else if (p[0] == 'z') { length = Length::z; ++p; }

    switch (*p) {
      case 'd':
      case 'i': {
        int64_t value = fetch_signed(ap, length);
        bool negative = value < 0;
        // Negate in unsigned arithmetic: INT64_MIN has no positive twin.
        uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value)
                                      : static_cast<uint64_t>(value);
        emit_integer(out, spec, magnitude, negative, false, false, "");
        break;
      }
      case 'u':
        emit_integer(out, spec, fetch_unsigned(ap, length), false, false, false, "");
        break;
      case 'x':
      case 'X':
        emit_integer(out, spec, fetch_unsigned(ap, length), false, true, *p == 'X', "");
        break;
      case 'p': {
        Spec pointer_spec = spec;
        pointer_spec.precision = 16;
        uint64_t address = reinterpret_cast<uintptr_t>(va_arg(ap, const void*));
        emit_integer(out, pointer_spec, address, false, true, false, "0x");
        break;
      }
      case 's':
        emit_string(out, spec, va_arg(ap, const char*));
        break;
      case 'c': {
        char text[2] = {static_cast<char>(va_arg(ap, int)), '\0'};
        Spec char_spec = spec;
        char_spec.precision = -1;
        // A NUL character still counts as one character of output.
        if (text[0] == '\0') {
          int padding = spec.width > 1 ? spec.width - 1 : 0;
          if (!spec.left) out.repeat(' ', padding);
          out.put('\0');
          if (spec.left) out.repeat(' ', padding);
        } else {
          emit_string(out, char_spec, text);
        }
        break;
      }
      case '%':
        out.put('%');
        break;
      default:
        // Unknown or truncated conversion: show it verbatim so the mistake
        // is visible; stop at the format's terminating NUL.
        for (const char* q = conversion_start; q <= p && *q != '\0'; ++q) out.put(*q);
        if (*p == '\0') --p;
        break;
    }
  }

  va_end(ap);
  return out.finish();
}

size_t format(char* buf, size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t length = vformat(buf, cap, fmt, ap);
  va_end(ap);
  return length;
}
