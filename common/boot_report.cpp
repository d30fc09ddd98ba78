#include "common/boot_report.h"

#include "common/console.h"

namespace boot_report {

using namespace layout;

namespace {

const char* a20_method_name(uint8_t method) {
  switch (method) {
    case A20_ALREADY_ON: return "already on";
    case A20_PORT92: return "on via port 0x92";
    case A20_BIOS: return "on via INT 15h AX=2401h";
    case A20_KBC: return "on via the keyboard controller";
    default: return "off";
  }
}

}  // namespace

void print_disk_and_memory(const BootInfo& info) {
  console::printf("boot: drive 0x%02x via %s, %u BIOS disk reads\n", info.boot_drive,
                  info.disk_uses_lba ? "INT 13h extensions" : "CHS", info.bios_disk_reads);
  console::printf("boot: A20 %s, %u E820 entries\n", a20_method_name(info.a20_method),
                  info.e820_count);
}

void print_payloads(const BootInfo& info) {
  for (uint32_t i = PAYLOAD_STAGE2 + 1; i < PAYLOAD_COUNT; ++i) {
    const LoadedPayload& p = info.payloads[i];
    console::printf("boot: %-6s %6u bytes at 0x%08x, CRC32 0x%08x ok\n", PAYLOAD_NAMES[i],
                    p.size, p.load_addr, p.crc32);
  }
}

}  // namespace boot_report
