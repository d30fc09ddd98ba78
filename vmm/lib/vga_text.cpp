#include "lib/vga_text.h"

void VgaText::clear() {
  for (int i = 0; i < cols_ * rows_; ++i) cells_[i] = blank();
  row_ = 0;
  col_ = 0;
}

void VgaText::move_to(int row, int col) {
  row_ = row < 0 ? 0 : (row >= rows_ ? rows_ - 1 : row);
  col_ = col < 0 ? 0 : (col >= cols_ ? cols_ - 1 : col);
}

void VgaText::scroll_up() {
  for (int i = 0; i < cols_ * (rows_ - 1); ++i) cells_[i] = cells_[i + cols_];
  for (int i = cols_ * (rows_ - 1); i < cols_ * rows_; ++i) cells_[i] = blank();
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
