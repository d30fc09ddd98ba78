// mkimage: assembles build/vmxboot.img from stage1, stage2, the VMM and the
// guest (see image_builder.h for the layout), checks it as `make inspect`
// does before writing it, and prints its layout (image_inspect.h) unless
// --quiet. Exit 0 on success, 1 on a bad input or a failed write, 2 on a bad
// command line.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>

#include "image_file.h"

namespace {

void print_usage(FILE* out) {
  fputs("usage: mkimage --stage1 FILE --stage2 FILE --vmm FILE --guest FILE --out FILE\n"
        "               [--end-wait SECONDS] [--inject CASE] [--quiet]\n"
        "       (--quiet: no layout; `inspect FILE` prints it from the file)\n"
        "       mkimage --result-of CASE   (the result code a run with CASE ends with)\n"
        "CASE (abi/layout.h):",
        out);
#define PRINT_CASE(constant, number, name, result) fprintf(out, " %s", name);
  VMXBOOT_INJECT_CASES(PRINT_CASE)
#undef PRINT_CASE
  fputs("\n", out);
}

[[noreturn]] void usage_error(const std::string& what) {
  fprintf(stderr, "mkimage: error: %s\n", what.c_str());
  print_usage(stderr);
  exit(2);
}

// Decimal 0..65535 (both header fields are 16 bits).
uint16_t parse_u16(const char* option, const char* text) {
  char* end = nullptr;
  errno = 0;
  const unsigned long value = strtoul(text, &end, 10);
  if (*text < '0' || *text > '9' || *end != '\0' || errno != 0 || value > 0xFFFF) {
    usage_error(std::string(option) + " wants a number from 0 to 65535, not '" + text + "'");
  }
  return uint16_t(value);
}

// A fault-injection case by its name (abi/layout.h), or by its number.
uint16_t parse_inject(const char* option, const char* text) {
  for (uint16_t number = 0; number < 0x100; ++number) {
    const char* name = layout::inject_name(number);
    if (name != nullptr && strcmp(name, text) == 0) return number;
  }
  if (*text >= '0' && *text <= '9') {
    const uint16_t number = parse_u16(option, text);
    if (layout::inject_name(number) != nullptr) return number;
  }
  usage_error(std::string(option) + ": no fault-injection case '" + text + "'");
}

}  // namespace

int main(int argc, char** argv) {
  image::MkimageRequest request;
  std::string* const paths[] = {
      &request.stage1_path, &request.payload_paths[layout::PAYLOAD_STAGE2],
      &request.payload_paths[layout::PAYLOAD_VMM], &request.payload_paths[layout::PAYLOAD_GUEST],
      &request.out_path};
  const char* const path_options[] = {"--stage1", "--stage2", "--vmm", "--guest", "--out"};
  bool seen_end_wait = false, seen_inject = false, quiet = false;

  for (int i = 1; i < argc; ++i) {
    const char* option = argv[i];
    if (strcmp(option, "--help") == 0 || strcmp(option, "-h") == 0) {
      print_usage(stdout);
      return 0;
    }
    if (strcmp(option, "--quiet") == 0) {
      quiet = true;
      continue;
    }
    if (i + 1 >= argc) usage_error(std::string("missing value after '") + option + "'");
    const char* value = argv[++i];
    if (strcmp(option, "--result-of") == 0) {
      if (argc != 3) usage_error("--result-of takes no other option");
      printf("%s\n", layout::inject_result(parse_inject(option, value)));
      return 0;
    }
    bool known = false;
    for (size_t k = 0; k < sizeof path_options / sizeof *path_options; ++k) {
      if (strcmp(option, path_options[k]) != 0) continue;
      if (!paths[k]->empty()) usage_error(std::string(option) + " given twice");
      if (*value == '\0') usage_error(std::string(option) + " wants a file name");
      *paths[k] = value;
      known = true;
    }
    if (known) continue;
    if (strcmp(option, "--end-wait") == 0 && !seen_end_wait) {
      request.end_wait_seconds = parse_u16(option, value);
      seen_end_wait = true;
    } else if (strcmp(option, "--inject") == 0 && !seen_inject) {
      request.inject = parse_inject(option, value);
      seen_inject = true;
    } else if (strcmp(option, "--end-wait") == 0 || strcmp(option, "--inject") == 0) {
      usage_error(std::string(option) + " given twice");
    } else {
      usage_error(std::string("unknown option '") + option + "'");
    }
  }
  for (size_t k = 0; k < sizeof path_options / sizeof *path_options; ++k) {
    if (paths[k]->empty()) usage_error(std::string(path_options[k]) + " is required");
  }

  const image::MkimageResult result = image::make_image_file(request);
  if (!result.error.empty()) {
    fprintf(stderr, "mkimage: error: %s\n", result.error.c_str());
    return 1;
  }
  if (!quiet) {
    printf("%s:\n\n%s", request.out_path.c_str(), image::format_report(result.report).c_str());
  }
  return 0;
}
