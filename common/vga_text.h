// A teletype over a VGA text-mode buffer: cells of (attribute << 8) | char.
// The buffer is passed in, so tests drive it over an ordinary array and the
// console over the real screen at layout::VGA_TEXT_ADDR.
#pragma once

#include <stdint.h>

class VgaText {
 public:
  static constexpr uint8_t default_attr = 0x07;  // light grey on black
  static constexpr int tab_stop = 8;

  // constexpr so that a VgaText with static storage needs no constructor
  // call at run time (the boot stages run no global constructors).
  constexpr VgaText(volatile uint16_t* cells, int cols = 80, int rows = 25)
      : cells_(cells), cols_(cols), rows_(rows) {}
  // No screen yet, all zero (a zeroed object in .bss: common/run_state.h).
  constexpr VgaText() : cells_(nullptr), cols_(0), rows_(0), attr_(0) {}

  // Blanks the screen with the current attribute; cursor to the top left.
  void clear();
  // '\n' next line at column 0, '\r' column 0, '\t' spaces up to the next
  // multiple of 8; anything else is stored as a glyph. Writing into the last
  // column wraps at once; moving below the last row scrolls up one line.
  void put(char c);
  void write(const char* s);
  void set_attr(uint8_t attr) { attr_ = attr; }
  // Cursor to (row, col), each clamped to the screen: how a later stage goes
  // on below what an earlier one wrote.
  void move_to(int row, int col);
  uint8_t attr() const { return attr_; }
  int row() const { return row_; }
  int col() const { return col_; }

 private:
  uint16_t blank() const { return static_cast<uint16_t>((attr_ << 8) | ' '); }
  void new_line();
  void scroll_up();

  volatile uint16_t* cells_;
  int cols_;
  int rows_;
  int row_ = 0;
  int col_ = 0;
  uint8_t attr_ = default_attr;
};
