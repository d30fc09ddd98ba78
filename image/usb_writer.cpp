#include "usb_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>  // BLKFLSBUF
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace usb {

namespace fs = std::filesystem;

namespace {

// sysfs sizes are in 512-byte units whatever the device's sector size
// (Documentation/ABI/stable/sysfs-block, "size").
constexpr uint64_t kSysfsSectorBytes = 512;
constexpr size_t kChunkBytes = 1 << 20;
// dm on md on a partition is three levels; a cycle would be a kernel bug.
constexpr int kMaxStackDepth = 16;

// The first line of a small sysfs/proc file, or nullopt when it is missing.
std::optional<std::string> read_line(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  return line;
}

uint64_t read_u64(const fs::path& path) {
  const std::optional<std::string> text = read_line(path);
  if (!text || text->empty()) return 0;
  char* end = nullptr;
  const unsigned long long value = strtoull(text->c_str(), &end, 10);
  return *end == '\0' ? value : 0;
}

bool dir_exists(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error);
}

bool file_exists(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error);
}

std::vector<std::string> directory_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// sdb2 before sdb10.
bool natural_less(const std::string& a, const std::string& b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

// The disk a partition is on: the sysfs/block/DISK that has NAME inside it.
std::string parent_disk_of(const std::string& sysfs, const std::string& name) {
  for (const std::string& disk : directory_names(fs::path(sysfs) / "block")) {
    if (file_exists(fs::path(sysfs) / "block" / disk / name / "partition")) return disk;
  }
  return {};
}

// NAME and everything it is built on: a partition's disk, a dm or md
// device's slaves, recursively. A filesystem on NAME is on all of them.
void collect_lower_devices(const std::string& sysfs, const std::string& name, int depth,
                           std::set<std::string>& out) {
  if (name.empty() || depth > kMaxStackDepth || !out.insert(name).second) return;
  const fs::path disk = fs::path(sysfs) / "block" / name;
  if (!dir_exists(disk)) {
    collect_lower_devices(sysfs, parent_disk_of(sysfs, name), depth + 1, out);
    return;
  }
  for (const std::string& slave : directory_names(disk / "slaves")) {
    collect_lower_devices(sysfs, slave, depth + 1, out);
  }
}

bool is_built_on(const SystemRoots& roots, const std::string& upper, const std::string& lower) {
  std::set<std::string> devices;
  collect_lower_devices(roots.sysfs, upper, 0, devices);
  return devices.count(lower) != 0;
}

// The kernel name behind a mount or swap source: /dev/sdb1 -> sdb1,
// /dev/mapper/vg-root -> (symlink) dm-0. "" when it is no device node
// (proc, tmpfs, overlay, a swap file).
std::string device_name_of_source(const SystemRoots& roots, const std::string& source) {
  constexpr std::string_view kDev = "/dev/";
  if (source.compare(0, kDev.size(), kDev) != 0) return {};
  const fs::path node = fs::path(roots.dev) / source.substr(kDev.size());
  std::error_code error;
  const fs::path resolved = fs::canonical(node, error);
  return (error ? fs::path(source) : resolved).filename().string();
}

// /proc/self/mounts escapes space, tab, newline and backslash as \ooo.
std::string unescape_mount_field(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' &&
        field[i + 2] >= '0' && field[i + 2] <= '7' && field[i + 3] >= '0' && field[i + 3] <= '7') {
      out += char((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

struct TableEntry {
  std::string source, mountpoint;
};

// /proc/self/mounts: "source mountpoint type options 0 0".
std::vector<TableEntry> read_mounts(const std::string& path) {
  std::vector<TableEntry> entries;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    TableEntry entry;
    if (fields >> entry.source >> entry.mountpoint) {
      entry.source = unescape_mount_field(entry.source);
      entry.mountpoint = unescape_mount_field(entry.mountpoint);
      entries.push_back(entry);
    }
  }
  return entries;
}

// /proc/swaps: a header line, then "filename type size used priority".
std::vector<TableEntry> read_swaps(const std::string& path) {
  std::vector<TableEntry> entries;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    TableEntry entry;
    if (fields >> entry.source) entries.push_back({unescape_mount_field(entry.source), ""});
  }
  return entries;
}

// The block device whose "MAJ:MIN" is `number`, by sysfs/class/block/*/dev.
std::string block_device_numbered(const std::string& sysfs, dev_t number) {
  const std::string wanted = std::to_string(major(number)) + ":" + std::to_string(minor(number));
  const fs::path class_block = fs::path(sysfs) / "class" / "block";
  for (const std::string& name : directory_names(class_block)) {
    if (read_line(class_block / name / "dev") == wanted) return name;
  }
  return {};
}

// A device root hub is "usbN" (.../0000:00:14.0/usb2/2-1/2-1:1.0/host6/...):
// everything below it hangs off USB.
bool path_passes_usb_root_hub(const std::string& path) {
  std::istringstream parts(path);
  for (std::string part; std::getline(parts, part, '/');) {
    if (part.size() > 3 && part.compare(0, 3, "usb") == 0 &&
        std::all_of(part.begin() + 3, part.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return true;
    }
  }
  return false;
}

void gather_sysfs_facts(const SystemRoots& roots, DeviceFacts& facts) {
  const fs::path disk = fs::path(roots.sysfs) / "block" / facts.name;
  facts.whole_disk = !facts.name.empty() && dir_exists(disk);
  if (!facts.whole_disk) {
    facts.parent_disk = parent_disk_of(roots.sysfs, facts.name);
    return;
  }
  facts.sysfs_dev = read_line(disk / "dev").value_or("");
  facts.removable = read_line(disk / "removable") == "1";
  facts.read_only = read_line(disk / "ro") == "1";
  facts.bytes = read_u64(disk / "size") * kSysfsSectorBytes;
  facts.vendor = read_line(disk / "device" / "vendor").value_or("");
  facts.model = read_line(disk / "device" / "model").value_or("");

  std::error_code device_error, sysfs_error;
  const fs::path device = fs::canonical(disk / "device", device_error);
  const fs::path sysfs = fs::canonical(roots.sysfs, sysfs_error);
  if (!device_error && !sysfs_error) {
    // Relative to the sysfs root, so that a test's temporary directory name
    // cannot look like a USB path.
    facts.device_link = "/" + device.lexically_relative(sysfs).string();
    facts.usb = path_passes_usb_root_hub(facts.device_link);
  }

  for (const std::string& child : directory_names(disk)) {
    if (!file_exists(disk / child / "partition")) continue;
    facts.partitions.push_back({child, read_u64(disk / child / "size") * kSysfsSectorBytes});
    for (const std::string& holder : directory_names(disk / child / "holders")) {
      facts.holders.push_back(holder + " (on " + child + ")");
    }
  }
  std::sort(facts.partitions.begin(), facts.partitions.end(),
            [](const Partition& a, const Partition& b) { return natural_less(a.name, b.name); });
  for (const std::string& holder : directory_names(disk / "holders")) {
    facts.holders.push_back(holder);
  }
}

// Mounted filesystems and swap on the device, and whether / is one of them.
void gather_uses(const SystemRoots& roots, DeviceFacts& facts) {
  if (facts.name.empty()) return;
  for (const TableEntry& mount : read_mounts(roots.mounts)) {
    const std::string device = device_name_of_source(roots, mount.source);
    if (!device.empty() && is_built_on(roots, device, facts.name)) {
      facts.uses.push_back({mount.source, device, mount.mountpoint, false});
      if (mount.mountpoint == "/") facts.root_device = device;
    }
  }
  for (const TableEntry& swap : read_swaps(roots.swaps)) {
    const std::string device = device_name_of_source(roots, swap.source);
    if (!device.empty() && is_built_on(roots, device, facts.name)) {
      facts.uses.push_back({swap.source, device, "", true});
    }
  }
  // The mount table may say only "/dev/root" (no initramfs) or name an
  // overlay: the root's st_dev says which device it really is.
  struct stat root;
  if (facts.root_device.empty() && stat(roots.root_path.c_str(), &root) == 0) {
    const std::string device = block_device_numbered(roots.sysfs, root.st_dev);
    if (!device.empty() && is_built_on(roots, device, facts.name)) facts.root_device = device;
  }
}

std::string describe_file_type(mode_t mode) {
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISFIFO(mode)) return "a pipe";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a device";
}

}  // namespace

DeviceFacts gather_device_facts(const std::string& device_path, const SystemRoots& roots) {
  DeviceFacts facts;
  facts.path = device_path;
  struct stat node;
  if (stat(device_path.c_str(), &node) != 0) {
    facts.stat_error = strerror(errno);
    return facts;
  }
  facts.exists = true;
  facts.is_block_device = S_ISBLK(node.st_mode);
  facts.file_type = describe_file_type(node.st_mode);
  if (facts.is_block_device) facts.node_rdev = node.st_rdev;
  if (access(device_path.c_str(), R_OK | W_OK) == 0) {
    facts.writable = true;
  } else {
    facts.access_error = strerror(errno);
  }

  // A block device is named by its number (sysfs/dev/block/MAJ:MIN links to
  // it), whatever its node is called; anything else by its file name.
  std::error_code error;
  if (facts.is_block_device) {
    const fs::path by_number = fs::path(roots.sysfs) / "dev" / "block" /
                               (std::to_string(major(node.st_rdev)) + ":" +
                                std::to_string(minor(node.st_rdev)));
    const fs::path resolved = fs::canonical(by_number, error);
    if (!error) facts.name = resolved.filename().string();
  }
  if (facts.name.empty()) {
    const fs::path resolved = fs::canonical(device_path, error);
    facts.name = (error ? fs::path(device_path) : resolved).filename().string();
  }

  gather_sysfs_facts(roots, facts);
  gather_uses(roots, facts);
  return facts;
}

std::vector<std::string> refusal_reasons(const DeviceFacts& facts, uint64_t image_bytes) {
  std::vector<std::string> reasons;
  const std::string& path = facts.path;
  if (!facts.exists) {
    reasons.push_back(path + " cannot be used: " + facts.stat_error);
    return reasons;
  }
  if (!facts.is_block_device) {
    reasons.push_back(path + " is not a block device (it is " + facts.file_type + ")");
  }
  if (!facts.whole_disk) {
    if (!facts.parent_disk.empty()) {
      reasons.push_back(path + " is partition " + facts.name + " of " + facts.parent_disk +
                        ", not a whole disk: the image holds its own partition table, write it "
                        "to the disk itself");
    } else {
      reasons.push_back(path + " is not a whole disk (sysfs has no block/" + facts.name + ")");
    }
  } else {
    if (facts.is_block_device && !facts.sysfs_dev.empty()) {
      const std::string node = std::to_string(major(facts.node_rdev)) + ":" +
                               std::to_string(minor(facts.node_rdev));
      if (node != facts.sysfs_dev) {
        reasons.push_back(path + " is device " + node + " but sysfs says " + facts.name +
                          " is " + facts.sysfs_dev);
      }
    }
    if (!facts.removable) {
      reasons.push_back(path + " is not removable (block/" + facts.name +
                        "/removable is not 1): it looks like a fixed disk");
    }
    if (!facts.usb) {
      reasons.push_back(path + " is not attached over USB (its device is " +
                        (facts.device_link.empty() ? std::string("unknown") : facts.device_link) +
                        ")");
    }
    if (facts.read_only) {
      reasons.push_back(path + " is read-only (a write-protect switch?)");
    }
    if (facts.bytes == 0) {
      reasons.push_back(path + " has no medium (size 0)");
    } else if (facts.bytes < image_bytes) {
      reasons.push_back(path + " is smaller than the image (" + format_size(facts.bytes) +
                        " < " + format_size(image_bytes) + ")");
    }
    for (const std::string& holder : facts.holders) {
      reasons.push_back(path + " is in use by " + holder + " (device mapper, RAID or LVM)");
    }
  }
  if (!facts.root_device.empty()) {
    reasons.push_back(path + " holds the running system (/ is on " + facts.root_device + ")");
  }
  for (const DiskUse& use : facts.uses) {
    const std::string what = use.source + (use.device == fs::path(use.source).filename().string()
                                               ? ""
                                               : " (" + use.device + ")");
    reasons.push_back(path + " is in use: " + what +
                      (use.swap ? " is active swap" : " is mounted on " + use.mountpoint));
  }
  if (!facts.writable) {
    reasons.push_back(path + " cannot be opened for writing: " + facts.access_error +
                      " (run as root, or as a member of group 'disk')");
  }
  return reasons;
}

std::string format_size(uint64_t bytes) {
  constexpr const char* kUnits[] = {"kB", "MB", "GB", "TB", "PB"};
  if (bytes < 1000) return std::to_string(bytes) + " bytes";
  // The smallest unit that keeps it under 1000.0 after rounding.
  uint64_t unit = 1000;
  size_t index = 0;
  uint64_t tenths = (bytes + unit / 20) / (unit / 10);
  while (tenths >= 10000 && index + 1 < std::size(kUnits)) {
    unit *= 1000;
    ++index;
    tenths = (bytes + unit / 20) / (unit / 10);
  }
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " " + kUnits[index] +
         " (" + std::to_string(bytes) + " bytes)";
}

std::string describe_device(const DeviceFacts& facts) {
  std::string text;
  auto line = [&text](const char* label, const std::string& value) {
    char padded[16];
    snprintf(padded, sizeof padded, "  %-12s", label);
    text += padded + value + "\n";
  };
  line("device", facts.path + (facts.name.empty() ? "" : " (" + facts.name + ")"));
  std::string model = facts.vendor;
  if (!facts.model.empty()) model += (model.empty() ? "" : " ") + facts.model;
  line("model", model.empty() ? "(sysfs names none)" : model);
  line("size", facts.whole_disk ? format_size(facts.bytes) : "(unknown)");
  line("attached", facts.device_link.empty() ? "(unknown)"
                                              : (facts.usb ? "USB, " : "not USB, ") +
                                                    facts.device_link);
  if (facts.partitions.empty()) line("partitions", "none");
  for (size_t i = 0; i < facts.partitions.size(); ++i) {
    line(i == 0 ? "partitions" : "",
         facts.partitions[i].name + "  " + format_size(facts.partitions[i].bytes));
  }
  for (const DiskUse& use : facts.uses) {
    line("in use", use.source + (use.swap ? " (swap)" : " mounted on " + use.mountpoint));
  }
  return text;
}

std::string load_image(const std::string& path, std::vector<uint8_t>& bytes) {
  bytes.clear();
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open the image " + path + ": " + strerror(errno);
  uint8_t buffer[65536];
  for (;;) {
    const ssize_t got = read(fd, buffer, sizeof buffer);
    if (got == 0) break;
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) {
      const int error = errno;
      close(fd);
      return "cannot read the image " + path + ": " + strerror(error);
    }
    bytes.insert(bytes.end(), buffer, buffer + got);
  }
  close(fd);
  if (bytes.empty()) return "the image " + path + " is empty";
  return {};
}

namespace {

// After fsync the page cache still holds what was written; reading that
// back would prove nothing about the stick. Drop it so that the read-back
// comes from the device (BLKFLSBUF needs CAP_SYS_ADMIN, which writing a
// disk normally means; the fadvise works for anyone).
void drop_cached_copy(int fd, bool block_device) {
  if (block_device) ioctl(fd, BLKFLSBUF, 0);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

std::string hex_byte(uint8_t value) {
  char text[8];
  snprintf(text, sizeof text, "0x%02X", value);
  return text;
}

}  // namespace

std::string write_and_verify(const std::vector<uint8_t>& image, const std::string& target_path,
                             const WriteOptions& options) {
  const uint64_t total = image.size();
  auto report = [&](WritePhase phase, uint64_t done) {
    if (options.progress) options.progress(phase, done, total);
  };

  // O_EXCL on a block device: fails with EBUSY while it is mounted or held.
  const int out = open(target_path.c_str(), O_WRONLY | O_EXCL | O_CLOEXEC);
  if (out < 0) return "cannot open " + target_path + " for writing: " + strerror(errno);
  struct stat opened;
  if (fstat(out, &opened) != 0) {
    const int error = errno;
    close(out);
    return "cannot stat " + target_path + ": " + strerror(error);
  }
  const bool block_device = S_ISBLK(opened.st_mode);
  if (options.require_block_device &&
      (!block_device || opened.st_rdev != *options.require_block_device)) {
    close(out);
    return target_path + (block_device ? " is no longer the device that was checked"
                                       : " is not a block device");
  }

  report(WritePhase::write, 0);
  uint64_t written = 0;
  while (written < total) {
    const size_t chunk = size_t(std::min<uint64_t>(kChunkBytes, total - written));
    const ssize_t put = pwrite(out, image.data() + written, chunk, off_t(written));
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) {
      const std::string why = put < 0 ? strerror(errno) : "the device took nothing";
      close(out);
      return "write failed at byte " + std::to_string(written) + ": " + why;
    }
    written += uint64_t(put);
    report(WritePhase::write, written);
  }
  if (fsync(out) != 0) {
    const int error = errno;
    close(out);
    return "sync failed after writing " + std::to_string(total) + " bytes: " + strerror(error);
  }
  drop_cached_copy(out, block_device);
  if (close(out) != 0) return "closing " + target_path + " failed: " + strerror(errno);

  if (options.before_verify) options.before_verify();

  const int in = open(target_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return "verify: cannot open " + target_path + ": " + strerror(errno);
  drop_cached_copy(in, block_device);
  std::vector<uint8_t> buffer(kChunkBytes);
  uint64_t checked = 0;
  report(WritePhase::verify, 0);
  while (checked < total) {
    const size_t chunk = size_t(std::min<uint64_t>(kChunkBytes, total - checked));
    const ssize_t got = pread(in, buffer.data(), chunk, off_t(checked));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      const std::string why = got < 0 ? "read failed at byte " + std::to_string(checked) + ": " +
                                            strerror(errno)
                                      : target_path + " ends at byte " + std::to_string(checked) +
                                            " of " + std::to_string(total);
      close(in);
      return "verify: " + why;
    }
    for (size_t i = 0; i < size_t(got); ++i) {
      if (buffer[i] != image[checked + i]) {
        close(in);
        return "verify: byte " + std::to_string(checked + i) + " differs (wrote " +
               hex_byte(image[checked + i]) + ", read " + hex_byte(buffer[i]) + ")";
      }
    }
    checked += uint64_t(got);
    report(WritePhase::verify, checked);
  }
  close(in);
  return {};
}

}  // namespace usb
