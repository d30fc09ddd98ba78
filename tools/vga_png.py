#!/usr/bin/env python3
"""Render a VGA text page (80x25 cells of character + attribute, as dumped
from 0xB8000) to a PNG, with the glyphs of the VGA BIOS's own 8x16 font.

The font is taken from the VGA BIOS ROM Bochs ships (found by its 'A' glyph),
so the picture shows exactly what a screen would: no other fonts needed, and
the PNG is written with the standard library alone.

  vga_png.py VGA.bin OUT.png [--rom /usr/share/bochs/VGABIOS-lgpl-latest]
"""
import argparse
import struct
import sys
import zlib

COLS, ROWS, CELL_W, CELL_H = 80, 25, 8, 16
# The 16 text-mode colours (CGA/VGA default palette).
PALETTE = [(0, 0, 0), (0, 0, 170), (0, 170, 0), (0, 170, 170), (170, 0, 0), (170, 0, 170),
           (170, 85, 0), (170, 170, 170), (85, 85, 85), (85, 85, 255), (85, 255, 85),
           (85, 255, 255), (255, 85, 85), (255, 85, 255), (255, 255, 85), (255, 255, 255)]
DEFAULT_ROM = "/usr/share/bochs/VGABIOS-lgpl-latest"
GLYPH_A = bytes([0x00, 0x00, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE,
                 0xC6, 0xC6, 0xC6, 0xC6, 0x00, 0x00, 0x00, 0x00])


def load_font(rom_path):
    with open(rom_path, "rb") as f:
        rom = f.read()
    at = rom.find(GLYPH_A)
    if at < 0x41 * CELL_H:
        sys.exit(f"vga_png: no 8x16 font found in {rom_path}")
    start = at - 0x41 * CELL_H
    return rom[start:start + 256 * CELL_H]


def render(page, font):
    width, height = COLS * CELL_W, ROWS * CELL_H
    rows = []
    for y in range(height):
        row = bytearray([0])  # PNG filter: none
        cell_row, line = divmod(y, CELL_H)
        for col in range(COLS):
            i = (cell_row * COLS + col) * 2
            char, attr = page[i], page[i + 1]
            bits = font[char * CELL_H + line]
            fg, bg = PALETTE[attr & 0x0F], PALETTE[(attr >> 4) & 0x07]
            for x in range(CELL_W):
                row += bytes(fg if bits & (0x80 >> x) else bg)
        rows.append(bytes(row))
    return width, height, b"".join(rows)


def png(width, height, pixels):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) +
            chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b""))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("vga")
    p.add_argument("out")
    p.add_argument("--rom", default=DEFAULT_ROM)
    a = p.parse_args()
    with open(a.vga, "rb") as f:
        page = f.read()
    if len(page) < COLS * ROWS * 2:
        sys.exit(f"vga_png: {a.vga} holds {len(page)} bytes, not a {COLS}x{ROWS} text page")
    with open(a.out, "wb") as f:
        f.write(png(*render(page, load_font(a.rom))))


if __name__ == "__main__":
    main()
