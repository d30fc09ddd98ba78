#include "common/vga_text.h"

#include <stddef.h>

namespace {

// Fills cells [first, last) with one value (REP STOSW).
void fill(volatile uint16_t* first, volatile uint16_t* last, uint16_t value) {
  size_t cells = static_cast<size_t>(last - first);
  asm volatile("rep stosw" : "+D"(first), "+c"(cells) : "a"(value) : "memory");
}

}  // namespace

void VgaText::clear() {
  fill(cells_, cells_ + cols_ * rows_, blank());
  row_ = 0;
  col_ = 0;
}

void VgaText::move_to(int row, int col) {
  row_ = row < 0 ? 0 : (row >= rows_ ? rows_ - 1 : row);
  col_ = col < 0 ? 0 : (col >= cols_ ? cols_ - 1 : col);
}

void VgaText::scroll_up() {
  volatile uint16_t* to = cells_;
  volatile uint16_t* const last_row = cells_ + cols_ * (rows_ - 1);
  const int cols = cols_;
  for (; to != last_row; ++to) *to = to[cols];
  fill(last_row, last_row + cols, blank());
}

void VgaText::new_line() {
  col_ = 0;
  if (row_ + 1 < rows_) {
    ++row_;
  } else {
    scroll_up();
  }
}

void VgaText::put(char c) {
  switch (c) {
    case '\n':
      new_line();
      return;
    case '\r':
      col_ = 0;
      return;
    case '\t': {
      int next = (col_ / tab_stop + 1) * tab_stop;
      if (next > cols_) next = cols_;
      while (col_ < next) cells_[row_ * cols_ + col_++] = blank();
      break;
    }
    default:
      cells_[row_ * cols_ + col_] =
          static_cast<uint16_t>((attr_ << 8) | static_cast<uint8_t>(c));
      ++col_;
      break;
  }
  if (col_ >= cols_) new_line();
}

void VgaText::write(const char* s) {
  while (*s != '\0') put(*s++);
}
