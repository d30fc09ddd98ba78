// The PC's ISA DMA controllers (two 8237s: channels 0-3 move bytes, 4-7
// words, 4 cascades the first controller and moves nothing itself) and
// their page registers, kept for a guest that owns the machine: a channel
// writes memory wherever it points, past the EPT, so none may point into
// the VMM's memory while it can run. The VMM tracks what the guest writes
// to each channel (base address and count through each controller's byte
// flip-flop, the page register, the mode, the mask bits) and:
//   - an unmask (single mask, clear mask, write all masks) of a channel
//     whose reach (below) touches the VMM's memory is refused: the channel
//     stays masked, counted for the report;
//   - a change of address, count, page or mode of an unmasked channel that
//     makes its reach touch the VMM's memory masks the channel first (the
//     VMM writes its mask bit), then is carried out; counted;
//   - the command register's memory-to-memory bit (channel 0 to channel 1)
//     is cleared: channel 1 writes there without being unmasked or asked
//     by a device (Bochs 2.7 ignores the bit; on a PC it is the one
//     transfer no device starts); counted;
//   - a software request (request register, bit 2 set) is dropped: it
//     serves memory-to-memory alone, and in Bochs 2.7 a request for a
//     channel no device serves stops the emulator (a panic); counted;
//   - every other access is carried out as the guest made it. Accesses
//     wider than a byte are denied (the registers are bytes; Bochs ignores
//     them but for one it splits, a word at 0x0B), as are the ports where
//     Intel's chipsets repeat the controllers' registers (0x10-0x1F, the
//     second controller's odd ports, 0x90-0x9F but port A at 0x92), which
//     would change a channel or turn a flip-flop unseen.
// Before the guest runs the VMM masks channels 0-3 and 5-7 and sets each
// to verify, address 0, count 0 (a BIOS programs a channel before each
// transfer), and reads the page registers. Pure but for devices/port_io.h.
#pragma once

#include <stdint.h>

#include "devices/port_device.h"
#include "devices/port_map.h"

namespace devices {

struct IsaDmaChannel {
  uint16_t address, count;  // the base registers as written (count: transfers less one)
  // The low byte written and the high one not yet: an 8237 keeps the old
  // high byte, Bochs 2.7 clears it; both are checked until the high byte.
  bool address_low_only, count_low_only;
  uint8_t page;
  uint8_t mode;  // bits 7:6 mode (3: cascade), 5 address decrement, 4 autoinit, 3:2 transfer
  bool masked;
};

struct IsaDma {
  IsaDmaChannel channel[8];
  bool flip_flop[2];  // each controller's byte pointer: the next address/count byte is the high one
  uint64_t vmm_first, vmm_end;
  // For the report.
  uint32_t unmasks_refused;           // channels kept masked
  uint32_t masked_on_change;          // unmasked channels the VMM masked before a change
  uint32_t memory_to_memory_refused;  // command writes with the bit cleared
  uint32_t requests_dropped;          // software requests
};

inline constexpr uint8_t isa_dma_mode_decrement = 1u << 5;
inline constexpr unsigned isa_dma_cascade_channel = 4;

// Whether channel `n` (0-7) as `c` holds it could write or read any byte of
// [first, end): its page window is 64 KiB (8-bit) or 128 KiB (16-bit
// channels, page bit 0 not an address bit), its run (count + 1) bytes or
// words from its address, up or down. A run that wraps inside its window
// (as the 8237 does) reaches the whole window, as does a 16-bit channel
// whose page has bit 0 set (a PC ignores it, Bochs 2.7 takes it as A16);
// an upward run also reaches straight on past the window's end (Bochs
// carries out a software-requested transfer in runs of up to 512 bytes
// from page << 16 | address, without wrapping). 64-bit sums of 24-bit
// values: none wraps.
bool isa_dma_reaches(const IsaDmaChannel& c, unsigned n, uint64_t first, uint64_t end);

// The device of the controllers' ports (0x00-0x1F, 0xC0-0xDF) and of the
// page registers' (0x81-0x8F, 0x90-0x91, 0x93-0x9F; their reads pass
// unseen). isa_dma_device takes the controllers over (above) and sets
// `state`; the two share it.
PortDevice isa_dma_device(IsaDma& state, uint64_t vmm_first, uint64_t vmm_end);
PortDevice isa_dma_page_device(IsaDma& state);

// Claims both devices' ports. False when the map refuses one.
bool claim_isa_dma(PortMap& ports, const PortDevice& controllers, const PortDevice& pages);

}  // namespace devices
