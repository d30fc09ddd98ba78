// The file side of mkimage: read the inputs, build, write the image so that
// the output path only ever holds a complete image.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "image_builder.h"
#include "image_inspect.h"

namespace image {

// Reads a whole regular file. Returns "" or why not (strerror text).
std::string read_whole_file(const std::string& path, std::vector<uint8_t>& bytes);

// Writes `bytes` to a temporary file in `path`'s directory and renames it
// over `path`. Returns "" or what failed; on failure the temporary file is
// removed and `path` is untouched.
std::string write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

struct MkimageRequest {
  std::string stage1_path;
  std::string payload_paths[layout::PAYLOAD_COUNT];  // indexed by layout::PAYLOAD_*
  std::string out_path;
  uint16_t end_wait_seconds = kDefaultEndWaitSeconds;
  uint16_t inject = 0;
};

struct MkimageResult {
  std::string error;   // empty on success
  BuiltImage image;    // valid on success
  DiskReport report;   // the image as `make inspect` sees it
};

// Reads every input, builds the image, checks it as the boot chain will
// (inspect_disk: an image it refuses is a bug here) and writes it to
// out_path. On any error nothing is written.
MkimageResult make_image_file(const MkimageRequest& request);

}  // namespace image
