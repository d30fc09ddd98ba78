#include "usb_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using usb::DeviceFacts;
using usb::refusal_reasons;
using usb::SystemRoots;

// Where sysfs puts a disk's device: under the USB host controller's root hub
// (usb1), or under an AHCI port.
const std::string kUsbBus =
    "devices/pci0000:00/0000:00:14.0/usb1/1-1/1-1:1.0/host6/target6:0:0/6:0:0:0";
const std::string kAtaBus = "devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0";
constexpr uint64_t kGoodSectors = 30556160;  // a "16 GB" stick
constexpr uint64_t kImageBytes = 516096;     // one 16 x 63 cylinder

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text << "\n";
}

void symlink_to(const fs::path& link, const fs::path& target) {
  fs::create_directories(link.parent_path());
  fs::create_symlink(target.lexically_relative(link.parent_path()), link);
}

std::vector<uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The reasons that mention `part`; a test checks there is exactly one.
std::vector<std::string> reasons_with(const std::vector<std::string>& reasons,
                                      const std::string& part) {
  std::vector<std::string> found;
  for (const std::string& reason : reasons) {
    if (contains(reason, part)) found.push_back(reason);
  }
  return found;
}

std::string joined(const std::vector<std::string>& reasons) {
  std::string text;
  for (const std::string& reason : reasons) text += "  " + reason + "\n";
  return text;
}

struct DiskSpec {
  std::string bus = kUsbBus;
  bool removable = true;
  bool read_only = false;
  uint64_t sectors = kGoodSectors;
  std::string vendor = "SanDisk";
  std::string model = "Cruzer Blade";
};

// A temporary directory laid out like the real thing: sysfs (devices/ with
// block/NAME under the disk's device, and the block/, class/block/ and
// dev/block/ links to it), /dev, a mount table, a swap table, and plain
// files standing in for device nodes.
class FakeSystem {
 public:
  explicit FakeSystem(const std::string& parent = "") {
    std::string pattern =
        (parent.empty() ? fs::temp_directory_path() : fs::path(parent)) / "usb_writer.XXXXXX";
    if (!parent.empty()) fs::create_directories(parent);
    root_ = mkdtemp(pattern.data());
    roots_.sysfs = root_ / "sys";
    roots_.dev = root_ / "dev";
    roots_.mounts = root_ / "mounts";
    roots_.swaps = root_ / "swaps";
    roots_.root_path = root_ / "rootfs";
    fs::create_directories(roots_.sysfs + "/block");
    fs::create_directories(roots_.sysfs + "/class/block");
    fs::create_directories(roots_.dev);
    fs::create_directories(roots_.root_path);
    // Typical tables, with nothing on the fake sdb: the root and swap on a
    // fixed disk, pseudo filesystems, an overlay.
    write_text(roots_.mounts,
               "/dev/sda2 / ext4 rw,relatime 0 0\n"
               "proc /proc proc rw 0 0\n"
               "tmpfs /run tmpfs rw 0 0\n"
               "overlay /var/lib/docker/x overlay rw 0 0\n"
               "/dev/sda1 /boot/efi vfat rw 0 0");
    write_text(roots_.swaps,
               "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
               "/dev/sda3                               partition\t8388604\t\t0\t\t-2\n"
               "/swapfile                               file\t\t1048572\t\t0\t\t-3");
    // The fake root's own st_dev must not collide with a fake device number.
    struct stat rootfs;
    stat(roots_.root_path.c_str(), &rootfs);
    root_st_dev_ = rootfs.st_dev;
  }
  ~FakeSystem() {
    std::error_code error;
    fs::permissions(root_, fs::perms::owner_all, fs::perm_options::add, error);
    fs::remove_all(root_, error);
  }

  const SystemRoots& roots() const { return roots_; }
  fs::path path(const std::string& relative) const { return root_ / relative; }
  dev_t root_st_dev() const { return root_st_dev_; }

  fs::path add_disk(const std::string& name, const DiskSpec& spec = {}) {
    const fs::path device = sysfs() / spec.bus;
    write_text(device / "vendor", spec.vendor);
    write_text(device / "model", spec.model);
    const fs::path disk = device / "block" / name;
    add_block_device(disk, name);
    write_text(disk / "removable", spec.removable ? "1" : "0");
    write_text(disk / "ro", spec.read_only ? "1" : "0");
    write_text(disk / "size", std::to_string(spec.sectors));
    symlink_to(disk / "device", device);
    symlink_to(sysfs() / "block" / name, disk);
    return disk;
  }

  fs::path add_partition(const std::string& disk, const std::string& name, uint64_t sectors) {
    const fs::path partition = fs::canonical(sysfs() / "block" / disk) / name;
    add_block_device(partition, name);
    write_text(partition / "partition", name.substr(name.size() - 1));
    write_text(partition / "size", std::to_string(sectors));
    return partition;
  }

  // A device-mapper device (LVM, dm-crypt) on `slave`, named in /dev/mapper.
  void add_mapper(const std::string& name, const std::string& mapper_name,
                  const std::string& slave) {
    const fs::path dm = sysfs() / "devices/virtual/block" / name;
    add_block_device(dm, name);
    write_text(dm / "removable", "0");
    write_text(dm / "size", "1000000");
    symlink_to(sysfs() / "block" / name, dm);
    const fs::path lower = fs::canonical(sysfs() / "class/block" / slave);
    symlink_to(dm / "slaves" / slave, lower);
    symlink_to(lower / "holders" / name, dm);
    write_text(roots_.dev + "/" + name, "");
    symlink_to(fs::path(roots_.dev) / "mapper" / mapper_name, fs::path(roots_.dev) / name);
  }

  // A plain file standing in for the node: the tool must refuse it.
  std::string node(const std::string& name) {
    const fs::path file = root_ / "nodes" / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << "";
    return file;
  }

  void add_mount(const std::string& line) { append(roots_.mounts, line); }
  void add_swap(const std::string& line) { append(roots_.swaps, line); }

  // Gives `name` the device number of the fake root directory, so that
  // stat(root_path).st_dev names it.
  void make_root_device(const std::string& name) {
    write_text(sysfs() / "class/block" / name / "dev",
               std::to_string(major(root_st_dev_)) + ":" + std::to_string(minor(root_st_dev_)));
  }

 private:
  fs::path sysfs() const { return roots_.sysfs; }

  void add_block_device(const fs::path& dir, const std::string& name) {
    ++next_minor_;
    if (makedev(8, next_minor_) == root_st_dev_) ++next_minor_;
    const std::string number = "8:" + std::to_string(next_minor_);
    write_text(dir / "dev", number);
    fs::create_directories(dir / "holders");
    symlink_to(sysfs() / "class/block" / name, dir);
    symlink_to(sysfs() / "dev/block" / number, dir);
  }

  static void append(const std::string& file, const std::string& line) {
    std::ofstream(file, std::ios::app) << line << "\n";
  }

  fs::path root_;
  SystemRoots roots_;
  dev_t root_st_dev_ = 0;
  unsigned next_minor_ = 0;
};

// A fake system with an internal disk (sda: root, EFI, swap) and a good USB
// stick sdb with one partition.
class UsbDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DiskSpec internal;
    internal.bus = kAtaBus;
    internal.removable = false;
    internal.vendor = "ATA";
    internal.model = "Samsung SSD 860";
    system_.add_disk("sda", internal);
    system_.add_partition("sda", "sda1", 1048576);
    system_.add_partition("sda", "sda2", 400000000);
    system_.add_partition("sda", "sda3", 8388608);
    system_.add_disk("sdb");
    system_.add_partition("sdb", "sdb1", kGoodSectors - 2048);
  }

  std::vector<std::string> check(const std::string& node_name, uint64_t image = kImageBytes) {
    node_ = system_.node(node_name);
    facts_ = usb::gather_device_facts(node_, system_.roots());
    return refusal_reasons(facts_, image);
  }

  // Exactly one reason mentions `part`, and it names the device.
  void expect_one_reason(const std::vector<std::string>& reasons, const std::string& part) {
    const std::vector<std::string> found = reasons_with(reasons, part);
    ASSERT_EQ(found.size(), 1u) << "wanted '" << part << "' in:\n" << joined(reasons);
    EXPECT_EQ(found[0].rfind(node_, 0), 0u) << found[0];
  }

  FakeSystem system_;
  std::string node_;
  DeviceFacts facts_;
};

// The control case: a good stick, refused only because the fake node is a
// plain file. Every other test changes one thing about it.
TEST_F(UsbDeviceTest, GoodStickAsPlainFileIsRefusedOnlyAsNotABlockDevice) {
  const std::vector<std::string> reasons = check("sdb");
  ASSERT_EQ(reasons.size(), 1u) << joined(reasons);
  EXPECT_EQ(reasons[0], node_ + " is not a block device (it is a regular file)");

  EXPECT_EQ(facts_.name, "sdb");
  EXPECT_TRUE(facts_.whole_disk);
  EXPECT_TRUE(facts_.removable);
  EXPECT_TRUE(facts_.usb);
  EXPECT_EQ(facts_.device_link, "/" + kUsbBus);
  EXPECT_EQ(facts_.bytes, kGoodSectors * 512);
  EXPECT_EQ(facts_.vendor, "SanDisk");
  EXPECT_EQ(facts_.model, "Cruzer Blade");
  ASSERT_EQ(facts_.partitions.size(), 1u);
  EXPECT_EQ(facts_.partitions[0].name, "sdb1");
  EXPECT_EQ(facts_.partitions[0].bytes, (kGoodSectors - 2048) * 512);
  EXPECT_TRUE(facts_.uses.empty());
  EXPECT_TRUE(facts_.root_device.empty());
}

TEST_F(UsbDeviceTest, DescriptionShowsModelSizeAndPartitions) {
  system_.add_partition("sdb", "sdb2", 2048);
  system_.add_partition("sdb", "sdb10", 4096);
  check("sdb");
  const std::string text = usb::describe_device(facts_);
  EXPECT_TRUE(contains(text, node_ + " (sdb)")) << text;
  EXPECT_TRUE(contains(text, "SanDisk Cruzer Blade")) << text;
  EXPECT_TRUE(contains(text, "15.6 GB (15644753920 bytes)")) << text;
  EXPECT_TRUE(contains(text, "USB, /" + kUsbBus)) << text;
  // In partition order, each with its size.
  const size_t first = text.find("sdb1  15.6 GB"), second = text.find("sdb2  1.0 MB"),
               tenth = text.find("sdb10  2.1 MB");
  ASSERT_NE(first, std::string::npos) << text;
  ASSERT_NE(second, std::string::npos) << text;
  ASSERT_NE(tenth, std::string::npos) << text;
  EXPECT_LT(first, second);
  EXPECT_LT(second, tenth);
}

TEST_F(UsbDeviceTest, SymlinkedNodeIsNamedByItsTarget) {
  const std::string node = system_.node("sdb");
  const fs::path link = system_.path("nodes/disk/by-id/usb-SanDisk_Cruzer_Blade-0:0");
  symlink_to(link, node);
  const DeviceFacts facts = usb::gather_device_facts(link, system_.roots());
  EXPECT_EQ(facts.path, link.string());
  EXPECT_EQ(facts.name, "sdb");
  EXPECT_TRUE(facts.usb);
}

TEST_F(UsbDeviceTest, RefusesANonRemovableDisk) {
  DiskSpec spec;
  spec.removable = false;
  system_.add_disk("sdc", spec);
  expect_one_reason(check("sdc"), "is not removable");
}

TEST_F(UsbDeviceTest, RefusesADiskNotOnUsb) {
  DiskSpec spec;
  spec.bus = "devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0";
  system_.add_disk("sdc", spec);
  const std::vector<std::string> reasons = check("sdc");
  expect_one_reason(reasons, "is not attached over USB (its device is /" + spec.bus + ")");
  EXPECT_FALSE(facts_.usb);
}

TEST_F(UsbDeviceTest, TheInternalDiskIsRefusedForEveryReason) {
  const std::vector<std::string> reasons = check("sda");
  expect_one_reason(reasons, "is not removable");
  expect_one_reason(reasons, "is not attached over USB");
  expect_one_reason(reasons, "holds the running system (/ is on sda2)");
  expect_one_reason(reasons, "is in use: /dev/sda2 is mounted on /");
  expect_one_reason(reasons, "is in use: /dev/sda1 is mounted on /boot/efi");
  expect_one_reason(reasons, "is in use: /dev/sda3 is active swap");
}

TEST_F(UsbDeviceTest, RefusesAPartition) {
  const std::vector<std::string> reasons = check("sdb1");
  expect_one_reason(reasons, "is partition sdb1 of sdb, not a whole disk");
  // Nothing is claimed about the disk's removability from a partition.
  EXPECT_TRUE(reasons_with(reasons, "removable").empty()) << joined(reasons);
}

TEST_F(UsbDeviceTest, RefusesANameSysfsDoesNotKnow) {
  expect_one_reason(check("sdz"), "is not a whole disk (sysfs has no block/sdz)");
}

TEST_F(UsbDeviceTest, RefusesADiskWithAMountedPartition) {
  system_.add_mount("/dev/sdb1 /media/user/STICK vfat rw,nosuid 0 0");
  const std::vector<std::string> reasons = check("sdb");
  expect_one_reason(reasons, "is in use: /dev/sdb1 is mounted on /media/user/STICK");
  EXPECT_EQ(reasons.size(), 2u) << joined(reasons);  // and the plain file
}

TEST_F(UsbDeviceTest, MountTableEscapesAreDecoded) {
  system_.add_mount("/dev/sdb1 /media/user/my\\040stick vfat rw 0 0");
  expect_one_reason(check("sdb"), "is mounted on /media/user/my stick");
}

TEST_F(UsbDeviceTest, RefusesAWholeDiskFilesystem) {
  system_.add_mount("/dev/sdb /mnt ext4 rw 0 0");
  expect_one_reason(check("sdb"), "is in use: /dev/sdb is mounted on /mnt");
}

TEST_F(UsbDeviceTest, RefusesADiskWithActiveSwap) {
  system_.add_partition("sdb", "sdb2", 2048);
  system_.add_swap("/dev/sdb2                               partition\t1020\t\t0\t\t-4");
  expect_one_reason(check("sdb"), "is in use: /dev/sdb2 is active swap");
}

TEST_F(UsbDeviceTest, RefusesTheDiskUnderAMappedRoot) {
  // / on LVM on the stick: the mount table names /dev/mapper/..., a link to
  // dm-0, whose slave is sdb1.
  system_.add_mapper("dm-0", "vg-root", "sdb1");
  system_.add_mount("/dev/mapper/vg-root / ext4 rw 0 0");
  const std::vector<std::string> reasons = check("sdb");
  expect_one_reason(reasons, "holds the running system (/ is on dm-0)");
  expect_one_reason(reasons, "is in use: /dev/mapper/vg-root (dm-0) is mounted on /");
  expect_one_reason(reasons, "is in use by dm-0 (on sdb1)");
}

TEST_F(UsbDeviceTest, RefusesADiskWithAnUnmountedHolder) {
  system_.add_mapper("dm-3", "stick-crypt", "sdb1");
  const std::vector<std::string> reasons = check("sdb");
  expect_one_reason(reasons, "is in use by dm-3 (on sdb1) (device mapper, RAID or LVM)");
  EXPECT_EQ(reasons.size(), 2u) << joined(reasons);
}

TEST_F(UsbDeviceTest, RefusesTheRootDiskFoundByStDev) {
  // The mount table only says /dev/root (a kernel booted without an
  // initramfs): the root directory's st_dev names the partition.
  system_.add_partition("sdb", "sdb2", 2048);
  system_.make_root_device("sdb2");
  system_.add_mount("/dev/root / ext4 rw 0 0");
  const std::vector<std::string> reasons = check("sdb");
  expect_one_reason(reasons, "holds the running system (/ is on sdb2)");
  // The same fake root does not implicate another stick.
  system_.add_disk("sdc");
  const DeviceFacts other = usb::gather_device_facts(system_.node("sdc"), system_.roots());
  EXPECT_EQ(refusal_reasons(other, kImageBytes).size(), 1u);  // the plain file only
}

TEST_F(UsbDeviceTest, RefusesADiskSmallerThanTheImage) {
  DiskSpec spec;
  spec.sectors = 1000;
  system_.add_disk("sdc", spec);
  expect_one_reason(check("sdc", 512000 + 512),
                    "is smaller than the image (512.0 kB (512000 bytes) < 512.5 kB (512512 bytes))");
  EXPECT_TRUE(refusal_reasons(usb::gather_device_facts(node_, system_.roots()), 512000).size() == 1);
}

TEST_F(UsbDeviceTest, RefusesAnEmptyCardReader) {
  DiskSpec spec;
  spec.sectors = 0;
  system_.add_disk("sdc", spec);
  expect_one_reason(check("sdc"), "has no medium (size 0)");
}

TEST_F(UsbDeviceTest, RefusesAWriteProtectedCard) {
  DiskSpec spec;
  spec.read_only = true;
  system_.add_disk("mmcblk0", spec);
  expect_one_reason(check("mmcblk0"), "is read-only");
}

TEST_F(UsbDeviceTest, RefusesAMissingPath) {
  const std::string missing = system_.path("nodes/sdq");
  const std::vector<std::string> reasons =
      refusal_reasons(usb::gather_device_facts(missing, system_.roots()), kImageBytes);
  ASSERT_EQ(reasons.size(), 1u) << joined(reasons);
  EXPECT_EQ(reasons[0], missing + " cannot be used: No such file or directory");
}

TEST_F(UsbDeviceTest, RefusesADirectory) {
  const fs::path dir = system_.path("nodes/sdb");
  fs::create_directories(dir);
  const std::vector<std::string> reasons =
      refusal_reasons(usb::gather_device_facts(dir, system_.roots()), kImageBytes);
  ASSERT_FALSE(reasons.empty());
  EXPECT_EQ(reasons[0], dir.string() + " is not a block device (it is a directory)");
}

TEST_F(UsbDeviceTest, RefusesANodeItCannotWrite) {
  if (geteuid() == 0) GTEST_SKIP() << "root may write anything";
  const std::string node = system_.node("sdb");
  chmod(node.c_str(), 0400);
  const std::vector<std::string> reasons =
      refusal_reasons(usb::gather_device_facts(node, system_.roots()), kImageBytes);
  EXPECT_EQ(reasons_with(reasons, node + " cannot be opened for writing: Permission denied").size(),
            1u)
      << joined(reasons);
}

// USB is judged on the path inside sysfs, not on where sysfs is.
TEST(UsbDevice, ATemporaryDirectoryNamedLikeAUsbHubDoesNotMakeADiskUsb) {
  const fs::path parent = fs::temp_directory_path() / ("usb_writer_test." +
                                                       std::to_string(getpid())) / "usb1";
  {
    FakeSystem system(parent);
    DiskSpec spec;
    spec.bus = kAtaBus;
    system.add_disk("sdb", spec);
    const std::string node = system.node("sdb");
    const DeviceFacts facts = usb::gather_device_facts(node, system.roots());
    EXPECT_FALSE(facts.usb) << facts.device_link;
    EXPECT_EQ(reasons_with(refusal_reasons(facts, kImageBytes), "not attached over USB").size(),
              1u);
  }
  fs::remove_all(parent.parent_path());
}

TEST(UsbFormat, SizesInDecimalUnits) {
  EXPECT_EQ(usb::format_size(0), "0 bytes");
  EXPECT_EQ(usb::format_size(999), "999 bytes");
  EXPECT_EQ(usb::format_size(1000), "1.0 kB (1000 bytes)");
  EXPECT_EQ(usb::format_size(1949), "1.9 kB (1949 bytes)");
  EXPECT_EQ(usb::format_size(1950), "2.0 kB (1950 bytes)");
  EXPECT_EQ(usb::format_size(999949), "999.9 kB (999949 bytes)");
  EXPECT_EQ(usb::format_size(999950), "1.0 MB (999950 bytes)");
  EXPECT_EQ(usb::format_size(15644753920ull), "15.6 GB (15644753920 bytes)");
  EXPECT_EQ(usb::format_size(2000398934016ull), "2.0 TB (2000398934016 bytes)");
}

// ---------------------------------------------------------------- writing

// Bytes that differ from their neighbours and from the target's filler.
std::vector<uint8_t> test_image(size_t size) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) bytes[i] = uint8_t((i * 131 + (i >> 9)) % 251);
  return bytes;
}

class WriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = fs::temp_directory_path() / "usb_write.XXXXXX";
    dir_ = mkdtemp(pattern.data());
    target_ = dir_ / "stick";
  }
  void TearDown() override { fs::remove_all(dir_); }

  void fill_target(size_t size, uint8_t value) {
    std::ofstream(target_, std::ios::binary) << std::string(size, char(value));
  }

  fs::path dir_, target_;
};

TEST_F(WriteTest, WritesExactlyTheImageAndReportsProgress) {
  // More than two 1 MiB chunks, onto a bigger "stick" whose tail must stay.
  const std::vector<uint8_t> image = test_image((5u << 19) + 512);
  const size_t stick = image.size() + 100000;
  fill_target(stick, 0xEE);

  std::vector<uint64_t> write_steps, verify_steps;
  usb::WriteOptions options;
  options.progress = [&](usb::WritePhase phase, uint64_t done, uint64_t total) {
    EXPECT_EQ(total, image.size());
    (phase == usb::WritePhase::write ? write_steps : verify_steps).push_back(done);
  };
  ASSERT_EQ(usb::write_and_verify(image, target_, options), "");

  const std::vector<uint8_t> written = read_file(target_);
  ASSERT_EQ(written.size(), stick);
  EXPECT_TRUE(std::equal(image.begin(), image.end(), written.begin()));
  EXPECT_TRUE(std::all_of(written.begin() + image.size(), written.end(),
                          [](uint8_t b) { return b == 0xEE; }));
  for (const std::vector<uint64_t>* steps : {&write_steps, &verify_steps}) {
    ASSERT_GE(steps->size(), 4u);  // 0, two whole chunks, the rest
    EXPECT_EQ(steps->front(), 0u);
    EXPECT_EQ(steps->back(), image.size());
    EXPECT_TRUE(std::is_sorted(steps->begin(), steps->end()));
  }
}

TEST_F(WriteTest, VerifyFindsAByteTheStickDidNotKeep) {
  const std::vector<uint8_t> image = test_image(3u << 20);
  fill_target(0, 0);
  const size_t bad = (2u << 20) + 12345;  // in the third chunk
  usb::WriteOptions options;
  options.before_verify = [&] {
    // What a fake-capacity stick does: the write "succeeds", the data is not
    // there when read back.
    std::fstream file(target_, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(std::streamoff(bad));
    file.put(char(image[bad] ^ 0x5A));
  };
  char expected[80];
  snprintf(expected, sizeof expected, "verify: byte %zu differs (wrote 0x%02X, read 0x%02X)", bad,
           image[bad], image[bad] ^ 0x5A);
  EXPECT_EQ(usb::write_and_verify(image, target_, options), expected);
}

TEST_F(WriteTest, VerifyFindsATargetThatEndsEarly) {
  const std::vector<uint8_t> image = test_image(10000);
  fill_target(0, 0);
  usb::WriteOptions options;
  options.before_verify = [&] { fs::resize_file(target_, 4096); };
  EXPECT_EQ(usb::write_and_verify(image, target_, options),
            "verify: " + target_.string() + " ends at byte 4096 of 10000");
}

TEST_F(WriteTest, AFullDeviceFailsAtByteZero) {
  if (access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  EXPECT_EQ(usb::write_and_verify(test_image(4096), "/dev/full"),
            "write failed at byte 0: No space left on device");
}

TEST_F(WriteTest, AWriteErrorNamesTheByteItFailedAt) {
  // The file size limit makes the kernel stop the write at 64 KiB (EFBIG
  // instead of SIGXFSZ once the signal is ignored).
  fill_target(0, 0);
  struct rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  struct rlimit limited = saved;
  limited.rlim_cur = 65536;
  void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &limited), 0);
  const std::string error = usb::write_and_verify(test_image(200000), target_);
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, old_handler);
  EXPECT_EQ(error, "write failed at byte 65536: File too large");
}

TEST_F(WriteTest, RequiringABlockDeviceRefusesAFileAndLeavesItAlone) {
  fill_target(8192, 0xEE);
  usb::WriteOptions options;
  options.require_block_device = makedev(8, 16);
  EXPECT_EQ(usb::write_and_verify(test_image(4096), target_, options),
            target_.string() + " is not a block device");
  const std::vector<uint8_t> after = read_file(target_);
  EXPECT_TRUE(std::all_of(after.begin(), after.end(), [](uint8_t b) { return b == 0xEE; }));
}

TEST_F(WriteTest, AMissingTargetIsNotCreated) {
  EXPECT_EQ(usb::write_and_verify(test_image(512), target_),
            "cannot open " + target_.string() + " for writing: No such file or directory");
  EXPECT_FALSE(fs::exists(target_));
}

TEST_F(WriteTest, LoadImageReadsEverythingAndRefusesEmptyOrMissing) {
  const std::vector<uint8_t> image = test_image(70000);
  std::ofstream(target_, std::ios::binary)
      .write(reinterpret_cast<const char*>(image.data()), std::streamsize(image.size()));
  std::vector<uint8_t> loaded;
  EXPECT_EQ(usb::load_image(target_, loaded), "");
  EXPECT_EQ(loaded, image);

  fill_target(0, 0);
  EXPECT_EQ(usb::load_image(target_, loaded), "the image " + target_.string() + " is empty");
  EXPECT_EQ(usb::load_image(dir_ / "none", loaded),
            "cannot open the image " + (dir_ / "none").string() + ": No such file or directory");
}

}  // namespace
