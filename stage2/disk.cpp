#include "disk.h"

#include "bios_call.h"

namespace disk {
namespace {

using layout::BootInfo;
using layout::SECTOR_SIZE;

constexpr uint8_t kDiskServices = 0x13;

// INT 13h AH=42h's disk address packet.
struct AddressPacket {
  uint8_t size;  // of this packet: 16
  uint8_t reserved;
  uint16_t sectors;
  uint16_t offset, segment;  // the buffer
  uint64_t lba;
};
static_assert(sizeof(AddressPacket) == 16);

// One INT 13h call; true on success (CF clear). The status (AH) is kept for
// the report either way.
bool call(BootInfo& info, BiosRegs& regs) {
  ++info.bios_disk_reads;
  bios_call(kDiskServices, regs);
  info.fail_status = uint8_t(regs.eax >> 8);
  return (regs.eflags & kCarryFlag) == 0;
}

// `sectors` sectors from `lba` to segment:0 in one call (extensions), or
// one sector (CHS: never across a track).
bool read_once(BootInfo& info, uint32_t lba, uint16_t sectors, uint16_t segment) {
  BiosRegs regs{};
  regs.edx = info.boot_drive;  // (set again for every call: some BIOSes clobber DL)
  if (info.disk_uses_lba) {
    AddressPacket packet = {sizeof packet, 0, sectors, 0, segment, lba};
    regs.eax = 0x4200;
    regs.esi = uint32_t(uintptr_t(&packet));  // DS:SI, DS = 0: the packet is on our stack
    return call(info, regs);
  }
  // CHS from the geometry stage1 read (AH=08h): sectors count from 1, the
  // cylinder's bits 9:8 go to CL's bits 7:6.
  const uint32_t track = lba / info.chs_sectors;
  const uint32_t sector = lba % info.chs_sectors + 1;
  const uint32_t cylinder = track / info.chs_heads, head = track % info.chs_heads;
  regs.eax = 0x0201;  // AH=02h, one sector
  regs.ecx = ((cylinder & 0xFF) << 8) | ((cylinder >> 2) & 0xC0) | sector;
  regs.edx |= head << 8;
  regs.es = segment;  // ES:BX, BX = 0
  return call(info, regs);
}

// The same, tried again after a drive reset (AH=00h) when it fails.
bool read_with_retries(BootInfo& info, uint32_t lba, uint16_t sectors, uint16_t segment) {
  for (uint32_t attempt = 0; attempt < layout::READ_RETRIES; ++attempt) {
    if (read_once(info, lba, sectors, segment)) return true;
    BiosRegs reset{};
    reset.edx = info.boot_drive;
    bios_call(kDiskServices, reset);
  }
  info.fail_lba = lba;
  return false;
}

}  // namespace

bool read(BootInfo& info, uint32_t lba, uint32_t sectors, uint32_t destination) {
  constexpr uint32_t block = 0x10000;  // ISA DMA: no read crosses a 64 KiB boundary
  while (sectors != 0) {
    uint32_t chunk = (block - destination % block) / SECTOR_SIZE;
    if (chunk > layout::MAX_SECTORS_PER_READ) chunk = layout::MAX_SECTORS_PER_READ;
    if (chunk > sectors) chunk = sectors;
    if (!info.disk_uses_lba) chunk = 1;
    if (!read_with_retries(info, lba, uint16_t(chunk), uint16_t(destination >> 4))) return false;
    lba += chunk;
    sectors -= chunk;
    destination += chunk * SECTOR_SIZE;
  }
  return true;
}

}  // namespace disk
