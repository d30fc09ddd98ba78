// CRC-32 as in IEEE 802.3, zlib's crc32() and the image header: reflected
// polynomial 0xEDB88320, register preset to 0xFFFFFFFF, result inverted.
// Freestanding: used by the image tool, stage2's 32-bit part and the VMM.
#pragma once

#include <stddef.h>
#include <stdint.h>

// CRC-32 of `len` bytes at `data`. crc32("123456789", 9) == 0xCBF43926.
uint32_t crc32(const void* data, size_t len);

// Continues a CRC over more bytes, with zlib's convention: the state is the
// finished CRC-32 of everything seen so far, so it starts at 0 (the CRC of no
// bytes) and crc32_update(crc32(a), b) == crc32(a followed by b).
uint32_t crc32_update(uint32_t crc_state, const void* data, size_t len);
