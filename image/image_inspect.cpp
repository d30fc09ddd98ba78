#include "image_inspect.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>  // BLKGETSIZE64
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "image_check.h"
#include "common/crc32c.h"
#include "guests/guest_header_check.h"

namespace image {
namespace {

using image_check::HeaderCheck;
using image_check::HeaderFault;
using layout::SECTOR_SIZE;

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08X", value);
  return text;
}

std::string dec(uint64_t value) { return std::to_string(value); }

// "LBA 56-269" (64-bit: a damaged count must not wrap in the message either).
std::string lba_range(uint64_t first, uint64_t count) {
  return count == 0 ? "LBA " + dec(first) + " (no sectors)"
                    : "LBA " + dec(first) + "-" + dec(first + count - 1);
}

std::string chs_text(Chs chs) {
  return dec(chs.cylinder) + "/" + dec(chs.head) + "/" + dec(chs.sector);
}

std::string entry_text(const PartitionEntry& p) {
  char text[120];
  std::snprintf(text, sizeof text, "boot flag 0x%02X, type 0x%02X, LBA %u + %u sectors, CHS %s-%s",
                p.boot_flag, p.type, p.first_lba, p.sectors, chs_text(p.first_chs).c_str(),
                chs_text(p.last_chs).c_str());
  return text;
}

uint32_t le32(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

// A run of sectors the header names: a payload or the spare.
struct Run {
  uint32_t first;
  uint32_t count;
};

Run run_of(const layout::ImageHeader& header, uint8_t region) {
  const layout::PayloadEntry& stage2 = header.payloads[layout::PAYLOAD_STAGE2];
  if (region == image_check::kSpare) {
    return {uint32_t(uint64_t(stage2.first_lba) + stage2.sectors), stage2.sectors};
  }
  return {header.payloads[region].first_lba, header.payloads[region].sectors};
}

// What check_header found, in words, naming the region.
std::string header_fault_text(const HeaderFault& f, const layout::ImageHeader& header) {
  const std::string entry = std::string("header: ") + image_check::fault_region(f.payload) + ": ";
  switch (f.check) {
    case HeaderCheck::ok:
      break;
    case HeaderCheck::magic:
      return "not a vmxboot disk: no VMXBOOT header at LBA 1";
    case HeaderCheck::version:
      return "header: version " + dec(f.found) + ", expected " + dec(f.expected);
    case HeaderCheck::payload_count:
      return "header: " + dec(f.found) + " payloads, expected " + dec(f.expected);
    case HeaderCheck::crc:
      return "header: CRC-32C " + hex32(f.found) + " expected " + hex32(f.expected);
    case HeaderCheck::inject:
      return "header: fault-injection case " + dec(f.found) +
             " unknown (abi/layout.h lists the cases)";
    case HeaderCheck::sectors:
      return entry + dec(f.found) + " sectors (" + hex32(f.found) + "), expected 1 to " +
             dec(f.expected);
    case HeaderCheck::size:
      return entry + "size " + dec(f.found) + " bytes does not fill exactly its " +
             dec(f.expected / SECTOR_SIZE) + " sectors";
    case HeaderCheck::load_addr:
      return entry + "load address " + hex32(f.found) + " expected " + hex32(f.expected);
    case HeaderCheck::first_lba:
      return entry + "first LBA " + dec(f.found) +
             (f.payload == layout::PAYLOAD_STAGE2 ? ", expected " + dec(f.expected) +
                                                        " (stage1 reads it right behind the header)"
                                                  : ", expected at least " + dec(f.expected) +
                                                        " (behind stage2's spare)");
    case HeaderCheck::beyond_disk: {
      const Run run = run_of(header, f.payload);
      return entry + lba_range(run.first, run.count) + " lies beyond the " + dec(f.expected) +
             " sectors of the disk the header describes";
    }
    case HeaderCheck::overlap: {
      // (The only runs that can: stage2 and its spare lie before the others.)
      const Run run = run_of(header, f.payload), vmm = run_of(header, layout::PAYLOAD_VMM);
      return entry + lba_range(run.first, run.count) + " overlaps vmm " +
             lba_range(vmm.first, vmm.count);
    }
  }
  return "header: " + std::string(image_check::check_name(f.check));
}

class Inspector {
 public:
  Inspector(const DiskSource& disk, DiskReport& report) : disk_(disk), r_(report) {}

  void run() {
    r_.disk_sectors = disk_.size_bytes() / SECTOR_SIZE;
    if (r_.disk_sectors < layout::HEADER_LBA + 1) {
      return fail("not a vmxboot disk: " + dec(disk_.size_bytes()) +
                  " bytes, less than an MBR and a header");
    }
    uint8_t sectors[2 * SECTOR_SIZE];
    if (!read("mbr", 0, 2, sectors)) return;
    const uint8_t* mbr = sectors;
    r_.has_mbr = true;
    r_.load_sectors = uint16_t(mbr[layout::MBR_LOAD_SECTORS_OFFSET] |
                               (mbr[layout::MBR_LOAD_SECTORS_OFFSET + 1] << 8));
    r_.disk_signature = le32(mbr + kDiskSignatureOffset);
    r_.partitions = decode_partition_table(mbr + kPartitionTableOffset);
    const bool boot_signature = mbr[kBootSignatureOffset] == 0x55 &&
                                mbr[kBootSignatureOffset + 1] == 0xAA;
    if (!boot_signature) fail("mbr: no boot signature 0x55 0xAA at 0x1FE: no BIOS boots it");
    std::memcpy(&r_.header, sectors + layout::HEADER_LBA * SECTOR_SIZE, sizeof r_.header);
    // Nothing below uses a header field the check has not passed.
    if (const HeaderFault fault = image_check::check_header(r_.header); !fault.ok()) {
      return fail(header_fault_text(fault, r_.header));
    }
    r_.header_trusted = true;
    const layout::ImageHeader& h = r_.header;
    add_region("mbr", 0, 1, SECTOR_SIZE, layout::STAGE1_ADDR, crc32c(mbr, SECTOR_SIZE),
               boot_signature && check_mbr(mbr));
    add_region("header", layout::HEADER_LBA, 1, sizeof h, layout::HEADER_ADDR, h.header_crc32,
               true);
    if (r_.disk_sectors < h.disk_sectors) {
      fail("disk: " + dec(r_.disk_sectors) + " sectors, the header says " +
           dec(h.disk_sectors) + ": the image was cut short");
    }
    check_stage2("stage2", run_of(h, layout::PAYLOAD_STAGE2), r_.stage2_first_sum,
                 r_.stage2_rest_sum);
    check_stage2("spare", run_of(h, image_check::kSpare), r_.spare_first_sum, r_.spare_rest_sum);
    for (uint8_t i = layout::PAYLOAD_STAGE2 + 1; i < layout::PAYLOAD_COUNT; ++i) {
      check_payload(i);
    }
    uint32_t end = 0;
    for (const Region& region : r_.regions) end = std::max(end, region.first_lba + region.sectors);
    if (end < h.disk_sectors) {
      r_.regions.push_back({"padding", end, h.disk_sectors - end,
                            uint64_t(h.disk_sectors - end) * SECTOR_SIZE, 0, false, 0, true});
    }
  }

 private:
  void fail(const std::string& what) { r_.errors.push_back(what); }

  void add_region(const char* name, uint32_t first, uint32_t sectors, uint32_t bytes,
                  uint32_t load_addr, uint32_t crc, bool ok) {
    r_.regions.push_back({name, first, sectors, bytes, load_addr, true, crc, ok});
  }

  // Reads `count` sectors from `first`; when the disk ends before them (what
  // the BIOS would fail to read: disk-error at boot) says so, naming `name`.
  bool read(const char* name, uint64_t first, uint32_t count, uint8_t* out) {
    if (first + count > r_.disk_sectors) {
      fail(std::string(name) + ": " + lba_range(first, count) + " runs past the end of the disk (" +
           dec(r_.disk_sectors) + " sectors)");
      return false;
    }
    const std::string error =
        disk_.read(first * SECTOR_SIZE, size_t(count) * SECTOR_SIZE, out);
    if (!error.empty()) fail(std::string(name) + ": " + lba_range(first, count) + ": " + error);
    return error.empty();
  }

  // What only mkimage's output passes (the boot chain reads none of it but
  // the load count, and the BIOS the partition table).
  bool check_mbr(const uint8_t* mbr) {
    const layout::ImageHeader& h = r_.header;
    bool ok = true;
    const uint32_t stage2_sectors = h.payloads[layout::PAYLOAD_STAGE2].sectors;
    if (r_.load_sectors != 1 + stage2_sectors + 1) {
      ok = false;
      fail("mbr: stage1 reads " + dec(r_.load_sectors) + " sectors from LBA 1, expected " +
           dec(1 + stage2_sectors + 1) + " (the header, stage2's " + dec(stage2_sectors) +
           " and the spare's first)");
    }
    if (const uint32_t expected = disk_signature(mbr, h); r_.disk_signature != expected) {
      ok = false;
      fail("mbr: disk signature " + hex32(r_.disk_signature) + " expected " + hex32(expected) +
           ": the boot code or the header changed after mkimage wrote them");
    }
    const PartitionTable expected = image_partition_table(h.disk_sectors);
    for (int i = 0; i < 4; ++i) {
      const PartitionEntry& found = r_.partitions.entries[i];
      if (found == expected.entries[i]) continue;
      ok = false;
      fail("mbr: partition " + dec(i + 1) + " is " + entry_text(found) + "; expected " +
           (expected.entries[i] == PartitionEntry{} ? std::string("an empty entry")
                                                    : entry_text(expected.entries[i])));
    }
    return ok;
  }

  // stage2 or its spare: the sums stage1 and stage2's first sector check,
  // and the header's CRC-32C (which nothing checks at boot, but it is there).
  void check_stage2(const char* name, Run run, uint32_t& first_sum, uint32_t& rest_sum) {
    const layout::PayloadEntry& entry = r_.header.payloads[layout::PAYLOAD_STAGE2];
    std::vector<uint8_t> bytes(size_t(run.count) * SECTOR_SIZE);
    if (!read(name, run.first, run.count, bytes.data())) {
      r_.regions.push_back({name, run.first, run.count, entry.size,
                            run.first == entry.first_lba ? entry.load_addr : 0, false, 0, false});
      return;
    }
    bool ok = true;
    first_sum = sum32(bytes.data(), SECTOR_SIZE);
    if (first_sum != layout::STAGE2_MAGIC) {
      ok = false;
      fail(std::string(name) + ": its first sector's dwords sum to " + hex32(first_sum) +
           ", expected the magic " + hex32(layout::STAGE2_MAGIC) + " (\"VMS2\")");
    }
    // The count and the sum of the rest that stage2's first sector checks
    // the rest with are its own (stage1's sum covers them).
    const uint32_t stored_count = le32(bytes.data() + layout::STAGE2_SECTORS_OFFSET);
    const uint32_t stored_sum = le32(bytes.data() + layout::STAGE2_REST_SUM_OFFSET);
    if (run.first == entry.first_lba) r_.stage2_stored_rest_sum = stored_sum;
    if (stored_count != run.count) {
      ok = false;
      fail(std::string(name) + ": its first sector says " + dec(stored_count) +
           " sectors, the header " + dec(run.count));
    }
    rest_sum = sum32(bytes.data() + SECTOR_SIZE, bytes.size() - SECTOR_SIZE);
    if (rest_sum != stored_sum) {
      ok = false;
      fail(std::string(name) + ": " + lba_range(run.first + 1, run.count - 1) + " sum to " +
           hex32(rest_sum) + ", its first sector says " + hex32(stored_sum));
    }
    const uint32_t crc = crc32c(bytes.data(), entry.size);
    if (crc != entry.crc32) {
      ok = false;
      fail(std::string(name) + ": CRC-32C " + hex32(crc) + " expected " + hex32(entry.crc32));
    }
    add_region(name, run.first, run.count, entry.size,
               run.first == entry.first_lba ? entry.load_addr : 0, crc, ok);
  }

  void check_payload(uint8_t index) {
    const layout::PayloadEntry& entry = r_.header.payloads[index];
    const char* name = layout::PAYLOAD_NAMES[index];
    std::vector<uint8_t> bytes(size_t(entry.sectors) * SECTOR_SIZE);
    if (!read(name, entry.first_lba, entry.sectors, bytes.data())) {
      r_.regions.push_back(
          {name, entry.first_lba, entry.sectors, entry.size, entry.load_addr, false, 0, false});
      return;
    }
    const uint32_t crc = crc32c(bytes.data(), entry.size);
    if (crc != entry.crc32) {
      fail(std::string(name) + ": CRC-32C " + hex32(crc) + " expected " + hex32(entry.crc32));
    }
    const bool guest_ok = index != layout::PAYLOAD_GUEST || judge_guest_header(bytes.data(), entry.size);
    add_region(name, entry.first_lba, entry.sectors, entry.size, entry.load_addr, crc,
               crc == entry.crc32 && guest_ok);
  }

  // What the VMM's phase "load the guest" will say of this guest's header.
  bool judge_guest_header(const uint8_t* guest, uint32_t size) {
    layout::GuestHeader h{};
    const guests::GuestHeaderProblem problem = guests::copy_guest_header(guest, size, h);
    if (!problem.ok()) {
      const std::string finding = std::string("header field ") + problem.field + ": " +
                                  problem.problem + " (the VMM would end the run guest-invalid)";
      // A fault-injection case that damages the guest's header on purpose
      // (mkimage --inject header-*): what the case wants.
      const char* wanted = layout::inject_result(r_.header.inject);
      if (wanted != nullptr && std::strcmp(wanted, "guest-invalid") == 0) {
        r_.guest_header = finding + ", as its fault-injection case wants";
        return true;
      }
      fail("guest: " + finding);
      return false;
    }
    char text[120];
    std::snprintf(text, sizeof text, "%s, entry %04X:%04X, %u bytes loaded, %u in memory",
                  h.kind == layout::GUEST_KIND_CHAIN ? "chain loader" : "V86 demo", h.entry_cs,
                  h.entry_ip, h.image_bytes, h.memory_bytes);
    r_.guest_header = text;
    return true;
  }

  const DiskSource& disk_;
  DiskReport& r_;
};

class FileDisk : public DiskSource {
 public:
  FileDisk(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~FileDisk() override { close(fd_); }
  uint64_t size_bytes() const override { return size_; }
  std::string read(uint64_t offset, size_t len, uint8_t* out) const override {
    size_t done = 0;
    while (done < len) {
      const ssize_t got = pread(fd_, out + done, len - done, off_t(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return strerror(errno);
      if (got == 0) return "the disk ended early";
      done += size_t(got);
    }
    return {};
  }

 private:
  int fd_;
  uint64_t size_;
};

}  // namespace

std::string MemoryDisk::read(uint64_t offset, size_t len, uint8_t* out) const {
  if (offset > bytes_.size() || len > bytes_.size() - offset) return "beyond the end";
  std::memcpy(out, bytes_.data() + offset, len);
  return {};
}

std::unique_ptr<DiskSource> open_disk(const std::string& path, std::string& error) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + strerror(errno);
    return nullptr;
  }
  struct stat info;
  uint64_t size = 0;
  if (fstat(fd, &info) != 0) {
    error = "cannot stat " + path + ": " + strerror(errno);
  } else if (S_ISBLK(info.st_mode)) {
    if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
      error = "cannot get the size of " + path + ": " + strerror(errno);
    }
  } else if (S_ISREG(info.st_mode)) {
    size = uint64_t(info.st_size);
  } else {
    error = path + " is neither a file nor a block device";
  }
  if (!error.empty()) {
    close(fd);
    return nullptr;
  }
  return std::make_unique<FileDisk>(fd, size);
}

DiskReport inspect_disk(const DiskSource& disk) {
  DiskReport report;
  Inspector(disk, report).run();
  return report;
}

std::string format_report(const DiskReport& r) {
  std::string text;
  char line[200];
  std::snprintf(line, sizeof line, "%-8s %9s %8s %8s %10s %10s  %s\n", "region", "first LBA",
                "sectors", "bytes", "load addr", "CRC-32C", "check");
  if (r.header_trusted) text += line;
  for (const Region& region : r.regions) {
    const std::string load = region.load_addr != 0 ? hex32(region.load_addr) : "-";
    const std::string crc = region.has_crc32 ? hex32(region.crc32) : "-";
    std::snprintf(line, sizeof line, "%-8s %9u %8u %8llu %10s %10s  %s\n", region.name.c_str(),
                  region.first_lba, region.sectors, (unsigned long long)region.bytes, load.c_str(),
                  crc.c_str(), region.ok ? "ok" : "BAD");
    text += line;
  }
  const layout::ImageHeader& h = r.header;
  if (r.header_trusted) {
    // What stage1 and stage2's first sector check: 32-bit sums of dwords.
    const struct {
      const char* name;
      uint32_t first, rest;
      const char* note;
    } rows[] = {{"expected", layout::STAGE2_MAGIC, r.stage2_stored_rest_sum,
                 "  (the magic \"VMS2\"; what stage2's first sector says)"},
                {"stage2", r.stage2_first_sum, r.stage2_rest_sum, ""},
                {"spare", r.spare_first_sum, r.spare_rest_sum, ""}};
    std::snprintf(line, sizeof line, "\n%-10s %12s %12s\n", "dword sums", "first sector",
                  "the rest");
    text += line;
    for (const auto& row : rows) {
      std::snprintf(line, sizeof line, "%-10s %12s %12s%s\n", row.name, hex32(row.first).c_str(),
                    hex32(row.rest).c_str(), row.note);
      text += line;
    }
  }

  if (r.has_mbr) {
    // (stage1's load count means something only on a vmxboot disk.)
    if (r.header_trusted) {
      std::snprintf(line, sizeof line, "\nmbr: stage1 reads %u sectors from LBA 1, ",
                    r.load_sectors);
      text += line;
    } else {
      text += "mbr: ";
    }
    std::snprintf(line, sizeof line, "disk signature 0x%08X\n", r.disk_signature);
    text += line;
    char heading[100];
    std::snprintf(heading, sizeof heading, "%-9s %9s %4s %9s %8s %11s %11s\n", "partition",
                  "boot flag", "type", "first LBA", "sectors", "first CHS", "last CHS");
    bool any = false;
    for (int i = 0; i < 4; ++i) {
      const PartitionEntry& p = r.partitions.entries[i];
      if (p == PartitionEntry{}) continue;
      if (!any) text += heading;
      any = true;
      std::snprintf(line, sizeof line, "%-9d %9s 0x%02X %9u %8u %11s %11s\n", i + 1,
                    p.boot_flag == kBootFlagActive ? "0x80 boot" : (p.boot_flag ? "?" : "0x00"),
                    p.type, p.first_lba, p.sectors, chs_text(p.first_chs).c_str(),
                    chs_text(p.last_chs).c_str());
      text += line;
    }
    if (!any) text += "no partition entries\n";
  }
  if (r.header_trusted) {
    const char* inject = layout::inject_name(h.inject);
    const std::string outcome =
        h.inject == layout::INJECT_NONE || inject == nullptr
            ? std::string()
            : std::string(" (a run ends result=") + layout::inject_result(h.inject) + ")";
    std::snprintf(line, sizeof line, "\nheader: version %u, end wait %u s, inject %s%s\n",
                  h.version, h.end_wait_seconds, inject ? inject : "?", outcome.c_str());
    text += line;
    if (!r.guest_header.empty()) text += "guest header: " + r.guest_header + "\n";
    std::snprintf(line, sizeof line,
                  "image: %u sectors, %llu bytes (%u cylinders of %u heads x %u sectors)\n",
                  h.disk_sectors, (unsigned long long)h.disk_sectors * SECTOR_SIZE,
                  h.disk_sectors / kCylinderSectors, kHeads, kSectorsPerTrack);
    text += line;
  }
  if (!r.header_trusted || r.disk_sectors != h.disk_sectors) {
    // A stick is larger than the image: what lies behind it is not read.
    const std::string uses =
        r.header_trusted && r.disk_sectors > h.disk_sectors
            ? " (the image is its first " + dec(h.disk_sectors) + ")"
            : "";
    std::snprintf(line, sizeof line, "disk: %llu sectors, %llu bytes%s\n",
                  (unsigned long long)r.disk_sectors,
                  (unsigned long long)r.disk_sectors * SECTOR_SIZE, uses.c_str());
    text += line;
  }
  return text;
}

}  // namespace image
