#include "devices/isa_dma.h"

#include "devices/port_io.h"

namespace devices {

namespace {

// Each controller's registers by number (the first's port; the second's
// is 0xC0 + 2 * number).
constexpr unsigned reg_command = 8, reg_request = 9, reg_single_mask = 10, reg_mode = 11,
                   reg_clear_flip_flop = 12, reg_master_clear = 13, reg_clear_masks = 14,
                   reg_all_masks = 15;
constexpr uint8_t single_mask_set = 1u << 2;
constexpr uint8_t request_set = 1u << 2;
constexpr uint8_t command_memory_to_memory = 1u << 0;
constexpr uint8_t mode_verify_single = 0x40;  // single mode, increment, no autoinit, verify
// Each channel's page register.
constexpr uint16_t page_port[8] = {0x87, 0x83, 0x81, 0x82, 0x8F, 0x8B, 0x89, 0x8A};

uint16_t reg_port(unsigned controller, unsigned reg) {
  return static_cast<uint16_t>(controller == 0 ? reg : 0xC0 + 2 * reg);
}

// One run of `units` (1 to 65536) from `address` in a channel's window:
// whether it reaches [first, end). (See isa_dma_reaches.)
bool run_reaches(uint8_t page, uint32_t address, uint32_t units, bool decrement, bool words,
                 uint64_t first, uint64_t end) {
  const unsigned shift = words ? 1 : 0;
  const uint64_t window_first = uint64_t{words ? page & 0xFEu : page} << 16;
  const uint64_t window = uint64_t{0x10000} << shift;
  const uint64_t bytes = uint64_t{units} << shift;
  auto meets = [&](uint64_t lo, uint64_t hi) { return lo < end && first < hi; };
  const bool wraps = decrement ? units > address + 1 : address + units > 0x10000;
  bool reached;
  if (wraps || (words && (page & 1) != 0)) {
    reached = meets(window_first, window_first + window);
  } else if (decrement) {
    const uint64_t top = window_first + ((uint64_t{address} + 1) << shift);
    reached = meets(top - bytes, top);
  } else {
    const uint64_t bottom = window_first + (uint64_t{address} << shift);
    reached = meets(bottom, bottom + bytes);
  }
  if (!decrement) {
    const uint64_t straight = uint64_t{page} << 16 | uint64_t{address} << shift;
    reached = reached || meets(straight, straight + bytes);
  }
  return reached;
}

bool channel_checked(unsigned n) { return n != isa_dma_cascade_channel; }

// Whether the guest may have channel n unmasked as it is programmed.
bool may_run(const IsaDma& s, unsigned n) {
  return !channel_checked(n) || !isa_dma_reaches(s.channel[n], n, s.vmm_first, s.vmm_end);
}

void mask(unsigned n) {
  port_out(reg_port(n >> 2, reg_single_mask), 1, single_mask_set | (n & 3));
}

// A change to channel n: where it leaves an unmasked channel reaching the
// VMM's memory, the channel is masked before the change is carried out.
void changed(IsaDma& s, unsigned n, const IsaDmaChannel& before) {
  IsaDmaChannel& c = s.channel[n];
  if (before.masked || may_run(s, n)) return;
  mask(n);
  c.masked = true;
  ++s.masked_on_change;
}

// A byte to channel n's address or count register, at the flip-flop.
void write_base(IsaDma& s, unsigned n, bool count, uint8_t value) {
  IsaDmaChannel& c = s.channel[n];
  const IsaDmaChannel before = c;
  bool& high = s.flip_flop[n >> 2];
  uint16_t& reg = count ? c.count : c.address;
  bool& low_only = count ? c.count_low_only : c.address_low_only;
  if (high) {
    reg = static_cast<uint16_t>((reg & 0x00FF) | value << 8);
    low_only = false;
  } else {
    reg = static_cast<uint16_t>((reg & 0xFF00) | value);
    low_only = true;
  }
  high = !high;
  changed(s, n, before);
}

// The four mask bits of `controller` as the guest asks (bit set: masked),
// less the channels that may not run: written as they end up.
PortVerdict write_masks(IsaDma& s, unsigned controller, uint8_t asked, PortAccess& a) {
  uint8_t masks = asked & 0x0F;
  for (unsigned i = 0; i < 4; ++i) {
    const unsigned n = controller * 4 + i;
    if ((masks >> i & 1) == 0 && !may_run(s, n)) {
      masks = static_cast<uint8_t>(masks | 1u << i);
      ++s.unmasks_refused;
    }
    s.channel[n].masked = (masks >> i & 1) != 0;
  }
  if (a.port == reg_port(controller, reg_all_masks)) {
    a.value = (a.value & 0xF0) | masks;
    return PortVerdict::pass;
  }
  if (masks == 0) return PortVerdict::pass;  // clear mask register, every channel may run
  port_out(reg_port(controller, reg_all_masks), 1, masks);
  return PortVerdict::done;
}

PortVerdict controller_write(IsaDma& s, unsigned controller, unsigned reg, PortAccess& a) {
  const uint8_t value = static_cast<uint8_t>(a.value);
  const unsigned first = controller * 4;
  if (reg < 8) {
    write_base(s, first + (reg >> 1), (reg & 1) != 0, value);
    return PortVerdict::pass;
  }
  switch (reg) {
    case reg_command:
      if ((value & command_memory_to_memory) != 0) {
        ++s.memory_to_memory_refused;
        a.value = value & ~command_memory_to_memory;
      }
      return PortVerdict::pass;
    case reg_single_mask: {
      const unsigned n = first + (value & 3);
      if ((value & single_mask_set) != 0) {
        s.channel[n].masked = true;
        return PortVerdict::pass;
      }
      if (!may_run(s, n)) {
        ++s.unmasks_refused;
        return PortVerdict::done;  // stays masked
      }
      s.channel[n].masked = false;
      return PortVerdict::pass;
    }
    case reg_mode: {
      const unsigned n = first + (value & 3);
      const IsaDmaChannel before = s.channel[n];
      s.channel[n].mode = value;
      changed(s, n, before);
      return PortVerdict::pass;
    }
    case reg_clear_flip_flop:
      s.flip_flop[controller] = false;
      return PortVerdict::pass;
    case reg_master_clear:
      s.flip_flop[controller] = false;
      for (unsigned i = 0; i < 4; ++i) s.channel[first + i].masked = true;
      return PortVerdict::pass;
    case reg_clear_masks: return write_masks(s, controller, 0, a);
    case reg_all_masks: return write_masks(s, controller, value, a);
    case reg_request:
      if ((value & request_set) == 0) return PortVerdict::pass;
      ++s.requests_dropped;
      return PortVerdict::done;
    default: return PortVerdict::pass;
  }
}

PortVerdict controllers_access(void* state, PortAccess& a, vmx::GuestEnd&) {
  IsaDma& s = *static_cast<IsaDma*>(state);
  if (a.bytes != 1) return PortVerdict::deny;
  unsigned controller, reg;
  if (a.port < 0x10) {
    controller = 0;
    reg = a.port;
  } else if (a.port >= 0xC0 && a.port <= 0xDF && (a.port & 1) == 0) {
    controller = 1;
    reg = (a.port - 0xC0u) >> 1;
  } else {
    return PortVerdict::deny;  // an alias
  }
  if (!a.in) return controller_write(s, controller, reg, a);
  // Reading an address or count byte turns the flip-flop as writing does.
  if (reg < 8) s.flip_flop[controller] = !s.flip_flop[controller];
  return PortVerdict::pass;
}

PortVerdict page_access(void* state, PortAccess& a, vmx::GuestEnd&) {
  IsaDma& s = *static_cast<IsaDma*>(state);
  if (a.in) return PortVerdict::pass;
  if (a.bytes != 1 || a.port >= 0x90) return PortVerdict::deny;  // wide, or an alias
  for (unsigned n = 0; n < 8; ++n) {
    if (page_port[n] != a.port) continue;
    const IsaDmaChannel before = s.channel[n];
    s.channel[n].page = static_cast<uint8_t>(a.value);
    changed(s, n, before);
    break;
  }
  return PortVerdict::pass;  // or a spare page register, a scratch byte
}

}  // namespace

bool isa_dma_reaches(const IsaDmaChannel& c, unsigned n, uint64_t first, uint64_t end) {
  const bool words = n >= 4;
  const bool decrement = (c.mode & isa_dma_mode_decrement) != 0;
  // The values Bochs may hold after a low byte alone, as well as the 8237's.
  const uint16_t addresses[2] = {c.address, static_cast<uint16_t>(c.address & 0xFF)};
  const uint16_t counts[2] = {c.count, static_cast<uint16_t>(c.count & 0xFF)};
  for (unsigned i = 0; i < (c.address_low_only ? 2u : 1u); ++i) {
    for (unsigned j = 0; j < (c.count_low_only ? 2u : 1u); ++j) {
      if (run_reaches(c.page, addresses[i], uint32_t{counts[j]} + 1, decrement, words, first,
                      end)) {
        return true;
      }
    }
  }
  return false;
}

PortDevice isa_dma_device(IsaDma& s, uint64_t vmm_first, uint64_t vmm_end) {
  s = IsaDma{};
  s.vmm_first = vmm_first;
  s.vmm_end = vmm_end;
  for (unsigned controller = 0; controller < 2; ++controller) {
    port_out(reg_port(controller, reg_clear_flip_flop), 1, 0);
  }
  for (unsigned n = 0; n < 8; ++n) {
    IsaDmaChannel& c = s.channel[n];
    c.page = static_cast<uint8_t>(port_in(page_port[n], 1));
    if (!channel_checked(n)) {
      c.mode = 0xC0;  // the cascade, unmasked, as the firmware set it up
      continue;
    }
    const unsigned controller = n >> 2, i = n & 3;
    mask(n);
    c.masked = true;
    c.mode = static_cast<uint8_t>(mode_verify_single | i);
    port_out(reg_port(controller, reg_mode), 1, c.mode);
    // Address and count, each low then high: the flip-flop ends clear.
    for (unsigned byte = 0; byte < 4; ++byte) port_out(reg_port(controller, 2 * i + byte / 2), 1, 0);
  }
  return {"ISA DMA", controllers_access, &s, passes::none};
}

PortDevice isa_dma_page_device(IsaDma& s) {
  return {"ISA DMA pages", page_access, &s, passes::in_any};
}

bool claim_isa_dma(PortMap& ports, const PortDevice& controllers, const PortDevice& pages) {
  return ports.claim(0x00, 0x20, controllers, "dma1", "dma1") &&
         ports.claim(0xC0, 0x20, controllers, "dma2", "dma2") &&
         ports.claim(0x81, 0x0F, pages, "dma-pages", "dma-pages") &&
         ports.claim(0x90, 0x02, pages, "dma-page-aliases", "dma-page-aliases") &&
         ports.claim(0x93, 0x0D, pages, "dma-page-aliases", "dma-page-aliases");
}

}  // namespace devices
