// The fuzz targets' functions, one per target <name> (tests/fuzz/README.md):
// tests/fuzz/<name>_fuzz.cpp hands libFuzzer's inputs to fuzz_<name>, and
// the unit tests (tests/unit/fuzz_corpus_test.cpp) replay the committed
// corpus tests/fuzz/corpus/<name>/ through the same function. Each returns 0
// and calls abort() when the code under test breaks a promise it makes, so
// a finding is a crash in both.
#pragma once

#include <stddef.h>
#include <stdint.h>

// The VMM's copy and check of the guest header (vmm/guests/guest_header_check.h)
// on any bytes as a loaded guest image.
int fuzz_guest_header(const uint8_t* data, size_t size);
// The ACPI power-off search (common/acpi.h) over any physical memory:
// the input is regions {u32 base, u32 length, bytes}, little-endian.
int fuzz_acpi(const uint8_t* data, size_t size);
// The image header check (image/image_check.h) on any sector's bytes.
int fuzz_image_header(const uint8_t* data, size_t size);
// The DMAR parser (vmm/vtd/dmar.h) on any bytes as the table, and the
// remapping tables (vmm/vtd/tables.h) built around what it accepted.
int fuzz_dmar(const uint8_t* data, size_t size);
// The RAM above 4 GiB of an E820 map (vmm/vtd/high_ram.h) and the remapping
// tables (vmm/vtd/tables.h) that map it: a walk byte, a width byte, then
// 24-byte E820 entries.
int fuzz_high_ram(const uint8_t* data, size_t size);
