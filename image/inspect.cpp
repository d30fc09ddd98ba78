// inspect: reads a vmxboot disk (an image file or a whole disk such as a USB
// stick, opened read-only), prints its layout and runs every check the boot
// chain runs on it (image_inspect.h). Exit 0 when all pass, 1 when the disk
// is damaged, foreign or cannot be read (each problem on stderr, naming its
// region), 2 on a bad command line.
#include <stdio.h>
#include <string.h>

#include <string>

#include "image_inspect.h"

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] == '\0' || strcmp(argv[1], "--help") == 0) {
    fputs("usage: inspect FILE|DEVICE   (e.g. build/vmxboot.img or /dev/sdb; never written)\n",
          argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
  }
  const std::string path = argv[1];
  std::string error;
  const auto disk = image::open_disk(path, error);
  if (!disk) {
    fprintf(stderr, "inspect: %s\n", error.c_str());
    return 1;
  }
  const image::DiskReport report = image::inspect_disk(*disk);
  printf("%s:\n\n%s", path.c_str(), image::format_report(report).c_str());
  fflush(stdout);
  for (const std::string& problem : report.errors) fprintf(stderr, "inspect: %s\n", problem.c_str());
  if (!report.ok()) {
    fprintf(stderr, "inspect: %s fails %zu check(s): it would not boot as a vmxboot disk\n",
            path.c_str(), report.errors.size());
    return 1;
  }
  printf("\nevery check passed\n");
  return 0;
}
