// usb_write: writes the vmxboot image to a USB stick (make usb DEV=/dev/sdX).
// Refuses anything but a removable, unmounted, big-enough whole USB disk,
// shows the device and asks for its name to be typed (or --confirm NAME),
// then writes, syncs, reads back and inspects the stick as `make inspect`
// does (image_inspect.h). Exit 0 on success, 1 when it refuses or fails, 2
// on a bad command line.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "image_inspect.h"
#include "usb_writer.h"

namespace {

void print_usage(FILE* out) {
  fputs("usage: usb_write --image FILE --device /dev/sdX [--confirm sdX]\n"
        "Without --confirm it shows the device and asks for its name on stdin.\n",
        out);
}

[[noreturn]] void usage_error(const std::string& what) {
  fprintf(stderr, "usb_write: error: %s\n", what.c_str());
  print_usage(stderr);
  exit(2);
}

int fail(const std::string& what) {
  fprintf(stderr, "usb_write: %s\n", what.c_str());
  return 1;
}

// "\rwriting  42%" when the percentage changes, a newline at 100%.
void show_progress(usb::WritePhase phase, uint64_t done, uint64_t total) {
  static int last_percent = -1;
  static usb::WritePhase last_phase = usb::WritePhase::write;
  const int percent = total == 0 ? 100 : int(done * 100 / total);
  if (phase != last_phase) last_percent = -1;
  last_phase = phase;
  if (percent == last_percent) return;
  last_percent = percent;
  printf("\r%s %3d%%", phase == usb::WritePhase::write ? "writing  " : "verifying", percent);
  if (done == total) printf("\n");
  fflush(stdout);
}

bool same_device(const usb::DeviceFacts& a, const usb::DeviceFacts& b) {
  return a.name == b.name && a.node_rdev == b.node_rdev && a.bytes == b.bytes &&
         a.model == b.model && a.vendor == b.vendor && a.device_link == b.device_link;
}

}  // namespace

int main(int argc, char** argv) {
  std::string image_path, device_path, confirm;
  bool confirm_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    if (option == "--help" || option == "-h") {
      print_usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) usage_error("missing value after '" + option + "'");
    const std::string value = argv[++i];
    std::string* target = option == "--image"     ? &image_path
                          : option == "--device"  ? &device_path
                          : option == "--confirm" ? &confirm
                                                  : nullptr;
    if (target == nullptr) usage_error("unknown option '" + option + "'");
    if (!target->empty()) usage_error(option + " given twice");
    if (value.empty()) usage_error(option + " wants a value");
    *target = value;
    if (target == &confirm) confirm_given = true;
  }
  if (image_path.empty()) usage_error("--image is required");
  if (device_path.empty()) usage_error("--device is required (the whole stick, e.g. /dev/sdb)");

  std::vector<uint8_t> image;
  if (std::string error = usb::load_image(image_path, image); !error.empty()) return fail(error);

  const usb::DeviceFacts facts = usb::gather_device_facts(device_path);
  printf("usb_write: image %s, %s\n%s", image_path.c_str(), usb::format_size(image.size()).c_str(),
         usb::describe_device(facts).c_str());
  fflush(stdout);
  const std::vector<std::string> reasons = usb::refusal_reasons(facts, image.size());
  if (!reasons.empty()) {
    for (const std::string& reason : reasons) fprintf(stderr, "usb_write: refusing: %s\n", reason.c_str());
    fprintf(stderr, "usb_write: nothing was written\n");
    return 1;
  }

  if (!confirm_given) {
    printf("Everything on %s will be lost. Type its name (%s) to write it: ", device_path.c_str(),
           facts.name.c_str());
    fflush(stdout);
    if (!std::getline(std::cin, confirm)) {
      printf("\n");
      return fail("no answer: nothing was written");
    }
    const size_t first = confirm.find_first_not_of(" \t\r");
    const size_t last = confirm.find_last_not_of(" \t\r");
    confirm = first == std::string::npos ? "" : confirm.substr(first, last - first + 1);
  }
  if (confirm != facts.name) {
    return fail("'" + confirm + "' is not '" + facts.name + "': nothing was written");
  }

  // The prompt may have waited a long time: the stick could have been
  // swapped or mounted meanwhile.
  const usb::DeviceFacts now = usb::gather_device_facts(device_path);
  const std::vector<std::string> reasons_now = usb::refusal_reasons(now, image.size());
  if (!same_device(facts, now) || !reasons_now.empty()) {
    for (const std::string& reason : reasons_now) fprintf(stderr, "usb_write: refusing: %s\n", reason.c_str());
    return fail(device_path + " changed since it was shown: nothing was written");
  }

  usb::WriteOptions options;
  options.progress = show_progress;
  options.require_block_device = facts.node_rdev;
  if (std::string error = usb::write_and_verify(image, device_path, options); !error.empty()) {
    printf("\n");
    return fail(device_path + ": " + error);
  }
  // The stick as a BIOS will read it: every check the boot chain runs.
  std::string error;
  const auto stick = image::open_disk(device_path, error);
  if (!stick) return fail(error);
  const image::DiskReport report = image::inspect_disk(*stick);
  printf("\n%s:\n\n%s\n", device_path.c_str(), image::format_report(report).c_str());
  for (const std::string& problem : report.errors) {
    fprintf(stderr, "usb_write: %s: %s\n", device_path.c_str(), problem.c_str());
  }
  if (!report.ok()) return fail(device_path + " was written but fails the boot chain's checks");
  printf("usb_write: wrote, verified and inspected %s on %s; it can be removed\n",
         usb::format_size(image.size()).c_str(), device_path.c_str());
  return 0;
}
