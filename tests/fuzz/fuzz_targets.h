// The fuzz targets' functions, one per target <name> (tests/fuzz/README.md):
// tests/fuzz/<name>_fuzz.cpp hands libFuzzer's inputs to fuzz_<name>, and
// the unit tests (tests/unit/fuzz_corpus_test.cpp) replay the committed
// corpus tests/fuzz/corpus/<name>/ through the same function. Each returns 0
// and calls abort() when the code under test breaks a promise it makes, so
// a finding is a crash in both.
#pragma once

#include <stddef.h>
#include <stdint.h>

// The image header check (image/image_check.h) on any sector's bytes.
int fuzz_image_header(const uint8_t* data, size_t size);
