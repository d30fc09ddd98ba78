// Writing build/vmxboot.img to a USB stick without ever writing to the wrong
// disk. Three steps, each usable on its own:
//   1. gather_device_facts: what sysfs, the mount table, the swap table and
//      stat() say about the target (every system fact comes through
//      SystemRoots, so tests run on a fake /sys tree and fake tables);
//   2. refusal_reasons: every reason not to write it (none = go ahead);
//   3. write_and_verify: write, fsync, drop the cached copy, read back and
//      compare. It writes regular files too (the tests use one); the tool
//      refuses anything but a whole-disk block device before getting here.
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace usb {

// Where the system facts come from. Defaults are the real system.
struct SystemRoots {
  std::string sysfs = "/sys";
  std::string mounts = "/proc/self/mounts";
  std::string swaps = "/proc/swaps";
  // Mount and swap sources name device nodes under /dev (often symlinks:
  // /dev/mapper/vg-root, /dev/disk/by-uuid/...); they are looked up here.
  std::string dev = "/dev";
  // A path on the root filesystem: its st_dev, matched against
  // sysfs/class/block/*/dev, names the device the running system is on even
  // when the mount table says only "/dev/root".
  std::string root_path = "/";
};

struct Partition {
  std::string name;  // sdb1, mmcblk0p1
  uint64_t bytes = 0;
};

// A filesystem or swap area on the disk, one of its partitions, or a device
// built on them (device mapper, RAID).
struct DiskUse {
  std::string source;      // as the table names it: /dev/sdb1, /dev/mapper/x
  std::string device;      // its kernel name: sdb1, dm-0
  std::string mountpoint;  // "" for swap
  bool swap = false;
};

struct DeviceFacts {
  std::string path;  // as given: /dev/sdb, /dev/disk/by-id/usb-...
  std::string name;  // kernel name after following symlinks: sdb
  bool exists = false;
  std::string stat_error;  // why stat() failed, when !exists
  std::string file_type;   // "a regular file", "a block device", ...
  bool is_block_device = false;
  dev_t node_rdev = 0;     // st_rdev, for a block device
  bool writable = false;   // access(R_OK | W_OK)
  std::string access_error;

  // From sysfs.
  bool whole_disk = false;        // sysfs/block/NAME exists
  std::string parent_disk;        // when NAME is a partition: the disk it is on
  std::string sysfs_dev;          // "8:16" from sysfs/block/NAME/dev
  bool removable = false;
  bool read_only = false;
  bool usb = false;
  std::string device_link;        // sysfs/block/NAME/device resolved, relative to the sysfs root
  std::string vendor, model;      // "" when sysfs has none
  uint64_t bytes = 0;             // size * 512
  std::vector<Partition> partitions;
  std::vector<std::string> holders;  // dm-0, md0: devices built on the disk or a partition

  std::vector<DiskUse> uses;        // mounted filesystems and swap on the disk
  std::string root_device;          // the device / is on, when it is this disk or on it
};

// Everything the tool shows and checks about `device_path`. Never fails:
// whatever cannot be read stays at its "unknown" value and is refused later.
DeviceFacts gather_device_facts(const std::string& device_path, const SystemRoots& roots = {});

// Every reason not to write an image of `image_bytes` to this device, each a
// sentence that starts with the device ("/dev/sdb is not removable ...").
// Empty: nothing against it.
std::vector<std::string> refusal_reasons(const DeviceFacts& facts, uint64_t image_bytes);

// "15.6 GB (15644753920 bytes)": decimal units, as sticks are sold.
std::string format_size(uint64_t bytes);

// The facts, as shown before asking: path, model, size, partitions, uses.
std::string describe_device(const DeviceFacts& facts);

// Reads the whole image. Returns "" or why not.
std::string load_image(const std::string& path, std::vector<uint8_t>& bytes);

enum class WritePhase { write, verify };

struct WriteOptions {
  // Called after every chunk and at the end of each phase.
  std::function<void(WritePhase, uint64_t done, uint64_t total)> progress;
  // When set, the opened target must be a block device with this st_rdev
  // (the node the checks were made on, not whatever the path names now).
  std::optional<dev_t> require_block_device;
  // Called after the write and fsync, before reading back: tests use it to
  // change the target behind the writer's back, as a failing stick would.
  std::function<void()> before_verify;
};

// Writes `image` at offset 0 of `target_path` (opened O_WRONLY | O_EXCL,
// which for a block device fails while anything has it mounted), fsyncs,
// drops the cached copy and reads exactly image.size() bytes back.
// Returns "" or what failed: "write failed at byte N: <strerror>",
// "verify: byte N differs (wrote 0xAA, read 0xBB)", ...
std::string write_and_verify(const std::vector<uint8_t>& image, const std::string& target_path,
                             const WriteOptions& options = {});

}  // namespace usb
