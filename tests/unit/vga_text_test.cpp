// VgaText over an ordinary array standing in for the text buffer.
#include <gtest/gtest.h>

#include <stdint.h>

#include <string>
#include <vector>

#include "common/vga_text.h"

namespace {

class Screen {
 public:
  Screen(int cols, int rows)
      : cols_(cols), rows_(rows), cells_(cols * rows, 0xDEAD), text_(cells_.data(), cols, rows) {}

  VgaText& text() { return text_; }
  uint16_t cell(int row, int col) const { return cells_[row * cols_ + col]; }
  uint8_t attr(int row, int col) const { return cell(row, col) >> 8; }
  // A row's characters, trailing blanks dropped.
  std::string line(int row) const {
    std::string s;
    for (int c = 0; c < cols_; ++c) s += static_cast<char>(cell(row, c) & 0xFF);
    s.erase(s.find_last_not_of(' ') + 1);
    return s;
  }

 private:
  int cols_;
  int rows_;
  std::vector<uint16_t> cells_;
  VgaText text_;
};

TEST(VgaText, ClearBlanksEveryCellWithDefaultAttribute) {
  Screen s(80, 25);
  s.text().clear();
  for (int r = 0; r < 25; ++r) {
    for (int c = 0; c < 80; ++c) ASSERT_EQ(s.cell(r, c), 0x0720) << r << "," << c;
  }
  EXPECT_EQ(s.text().row(), 0);
  EXPECT_EQ(s.text().col(), 0);
}

TEST(VgaText, WritesCharactersWithAttribute) {
  Screen s(80, 25);
  s.text().clear();
  s.text().write("Hi");
  s.text().set_attr(0x4F);
  s.text().put('!');
  EXPECT_EQ(s.cell(0, 0), 0x0700 | 'H');
  EXPECT_EQ(s.cell(0, 1), 0x0700 | 'i');
  EXPECT_EQ(s.cell(0, 2), 0x4F00 | '!');
  EXPECT_EQ(s.text().col(), 3);
}

TEST(VgaText, HighBytesAreGlyphsNotSignExtended) {
  Screen s(80, 25);
  s.text().clear();
  s.text().put(static_cast<char>(0xDB));  // CP437 full block
  EXPECT_EQ(s.cell(0, 0), 0x07DB);
}

TEST(VgaText, NewlineAndCarriageReturn) {
  Screen s(80, 25);
  s.text().clear();
  s.text().write("abc\ndef\rX");
  EXPECT_EQ(s.line(0), "abc");
  EXPECT_EQ(s.line(1), "Xef");
  EXPECT_EQ(s.text().row(), 1);
  EXPECT_EQ(s.text().col(), 1);
}

TEST(VgaText, TabAdvancesToNextMultipleOfEight) {
  Screen s(80, 25);
  s.text().clear();
  s.text().put('\t');
  EXPECT_EQ(s.text().col(), 8);
  s.text().write("abc\t");
  EXPECT_EQ(s.text().col(), 16);
  s.text().write("12345678\t");  // from 24 exactly: to 32
  EXPECT_EQ(s.text().col(), 32);
  EXPECT_EQ(s.line(0), "        abc     12345678");
}

TEST(VgaText, TabAtEndOfLineWraps) {
  Screen s(80, 25);
  s.text().clear();
  for (int i = 0; i < 75; ++i) s.text().put('x');
  s.text().put('\t');
  EXPECT_EQ(s.text().row(), 1);
  EXPECT_EQ(s.text().col(), 0);
}

TEST(VgaText, WrapsAtRightEdge) {
  Screen s(10, 4);
  s.text().clear();
  s.text().write("0123456789AB");
  EXPECT_EQ(s.line(0), "0123456789");
  EXPECT_EQ(s.line(1), "AB");
  EXPECT_EQ(s.text().row(), 1);
  EXPECT_EQ(s.text().col(), 2);
}

TEST(VgaText, ScrollsUpAtBottomAndBlanksLastLineWithCurrentAttribute) {
  Screen s(10, 3);
  s.text().clear();
  s.text().write("one\ntwo\nthree");
  EXPECT_EQ(s.text().row(), 2);
  s.text().set_attr(0x1E);
  s.text().put('\n');
  EXPECT_EQ(s.line(0), "two");
  EXPECT_EQ(s.line(1), "three");
  EXPECT_EQ(s.line(2), "");
  for (int c = 0; c < 10; ++c) EXPECT_EQ(s.cell(2, c), 0x1E20);
  EXPECT_EQ(s.attr(0, 0), 0x07);  // moved lines keep their colours
  EXPECT_EQ(s.text().row(), 2);
  EXPECT_EQ(s.text().col(), 0);
  s.text().write("four");
  EXPECT_EQ(s.line(2), "four");
  EXPECT_EQ(s.attr(2, 0), 0x1E);
}

TEST(VgaText, WrappingOnLastRowScrolls) {
  Screen s(4, 2);
  s.text().clear();
  s.text().write("abcdefghij");
  // "abcd" scrolled away when "ij" needed a third row.
  EXPECT_EQ(s.line(0), "efgh");
  EXPECT_EQ(s.line(1), "ij");
  EXPECT_EQ(s.text().row(), 1);
  EXPECT_EQ(s.text().col(), 2);
}

TEST(VgaText, ManyLinesKeepCursorInside) {
  Screen s(80, 25);
  s.text().clear();
  for (int i = 0; i < 100; ++i) {
    s.text().write("line ");
    s.text().put(static_cast<char>('0' + i % 10));
    s.text().put('\n');
  }
  EXPECT_EQ(s.text().row(), 24);
  EXPECT_EQ(s.line(23), "line 9");
  EXPECT_EQ(s.line(0), "line 6");  // lines 76..99 remain
}

TEST(VgaText, ClearUsesCurrentAttribute) {
  Screen s(8, 2);
  s.text().set_attr(0x17);
  s.text().clear();
  EXPECT_EQ(s.cell(1, 7), 0x1720);
}

}  // namespace
