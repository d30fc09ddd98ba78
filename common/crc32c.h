// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and
// final XOR 0xFFFFFFFF; iSCSI, ext4, btrfs): the checksum of the image header
// and of every payload.
//
// Why not zlib's CRC-32: stage2 checks every payload inside the emulator whose
// instruction count is our boot-time measure, and CRC-32C is the one CRC a
// CPU computes itself: SSE4.2's CRC32 instruction takes 4 bytes (8 in 64-bit
// mode) in one instruction, where the best table method needs 3.4
// instructions a byte. CPUs without SSE4.2 (Core 2, Pentium 4) get the same
// result from slicing-by-8 tables.
#pragma once

#include <stddef.h>
#include <stdint.h>

// CRC-32C of `len` bytes at `data`. crc32c("123456789", 9) == 0xE3069283.
uint32_t crc32c(const void* data, size_t len);

// Continues a CRC-32C over more bytes. The state is the finished CRC of
// everything seen so far, so it starts at 0 (the CRC of no bytes) and
// crc32c_update(crc32c(a), b) == crc32c(a followed by b).
uint32_t crc32c_update(uint32_t crc_state, const void* data, size_t len);

// The two ways crc32c_update() may take (it picks by CPUID.1:ECX bit 20),
// for tests and benchmarks. The hardware one needs SSE4.2.
uint32_t crc32c_update_tables(uint32_t crc_state, const void* data, size_t len);
uint32_t crc32c_update_sse42(uint32_t crc_state, const void* data, size_t len);
bool crc32c_has_sse42();
// A third, without tables: bit by bit, eight steps a byte. For
// code with no room for the tables' 8 KiB: stage2's real-mode part, whose
// code and data share the first 64 KiB, checks the image header with it on
// CPUs without SSE4.2.
uint32_t crc32c_update_bitwise(uint32_t crc_state, const void* data, size_t len);
