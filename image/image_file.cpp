#include "image_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace image {

std::string read_whole_file(const std::string& path, std::vector<uint8_t>& bytes) {
  bytes.clear();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return strerror(errno);
  struct stat info;
  if (fstat(fd, &info) != 0) {
    const int error = errno;
    close(fd);
    return strerror(error);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return S_ISDIR(info.st_mode) ? strerror(EISDIR) : "not a regular file";
  }
  uint8_t buffer[65536];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return strerror(error);
    }
    bytes.insert(bytes.end(), buffer, buffer + got);
  }
  close(fd);
  return {};
}

std::string write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  // Same directory as the output, so rename() replaces it in one step.
  std::string temp_path = path + ".tmp.XXXXXX";
  const int fd = mkostemp(temp_path.data(), O_CLOEXEC);
  if (fd < 0) {
    return "cannot create a temporary file beside '" + path + "': " + strerror(errno);
  }
  auto fail = [&](const std::string& what, int error) {
    if (fd >= 0) close(fd);
    unlink(temp_path.c_str());
    return what + " '" + temp_path + "': " + strerror(error);
  };

  // mkstemp creates 0600; an image is an ordinary build output.
  const mode_t mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0) return fail("cannot set the mode of", errno);

  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t put = write(fd, bytes.data() + written, bytes.size() - written);
    if (put < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write", errno);
    }
    written += size_t(put);
  }
  if (fsync(fd) != 0) return fail("cannot flush", errno);
  const int closed = close(fd);
  if (closed != 0) {
    const int error = errno;
    unlink(temp_path.c_str());
    return "cannot write '" + temp_path + "': " + strerror(error);
  }
  if (rename(temp_path.c_str(), path.c_str()) != 0) {
    const int error = errno;
    unlink(temp_path.c_str());
    return "cannot rename '" + temp_path + "' to '" + path + "': " + strerror(error);
  }
  return {};
}

MkimageResult make_image_file(const MkimageRequest& request) {
  MkimageResult result;
  ImageInputs inputs;
  inputs.end_wait_seconds = request.end_wait_seconds;
  inputs.inject = request.inject;

  inputs.stage1.path = request.stage1_path;
  if (std::string error = read_whole_file(request.stage1_path, inputs.stage1.bytes);
      !error.empty()) {
    result.error = "stage1 '" + request.stage1_path + "' cannot be read: " + error;
    return result;
  }
  for (const PayloadSpec& spec : kPayloadSpecs) {
    InputFile& input = inputs.payloads[spec.index];
    input.path = request.payload_paths[spec.index];
    if (std::string error = read_whole_file(input.path, input.bytes); !error.empty()) {
      result.error = payload_error(spec, input.path, "cannot be read: " + error);
      return result;
    }
  }

  BuildResult built = build_image(inputs);
  if (!built.ok()) {
    result.error = built.error;
    return result;
  }
  result.report = inspect_disk(MemoryDisk(built.image.bytes));
  if (!result.report.ok()) {
    result.error = "the image built fails its own check (a bug in mkimage): " +
                   result.report.errors.front();
    return result;
  }
  if (std::string error = write_file_atomically(request.out_path, built.image.bytes);
      !error.empty()) {
    result.error = error;
    return result;
  }
  result.image = std::move(built.image);
  return result;
}

}  // namespace image
