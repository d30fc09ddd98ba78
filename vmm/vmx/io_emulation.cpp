#include "vmx/io_emulation.h"

namespace vmx {

bool string_operand_from_bytes(const uint8_t* bytes, size_t length, bool default_32bit_address,
                               StringOperand& operand) {
  using ia32::vmx::SegmentRegister;
  operand = {SegmentRegister::ds, default_32bit_address ? 4u : 2u};
  bool address_size_prefix = false;
  for (size_t i = 0; i < length; ++i) {
    switch (bytes[i]) {
      case 0x26: operand.segment = SegmentRegister::es; break;
      case 0x2E: operand.segment = SegmentRegister::cs; break;
      case 0x36: operand.segment = SegmentRegister::ss; break;
      case 0x3E: operand.segment = SegmentRegister::ds; break;
      case 0x64: operand.segment = SegmentRegister::fs; break;
      case 0x65: operand.segment = SegmentRegister::gs; break;
      case 0x67: address_size_prefix = true; break;
      case 0x66:  // operand size: already in the exit qualification
      case 0xF2:
      case 0xF3:  // REP: likewise
      case 0xF0: break;
      case 0x6C:
      case 0x6D:  // INS: always ES:(E)DI
        operand.segment = SegmentRegister::es;
        [[fallthrough]];
      case 0x6E:
      case 0x6F:
        if (address_size_prefix) operand.address_bytes = default_32bit_address ? 2 : 4;
        return i + 1 == length;
      default: return false;
    }
  }
  return false;
}

}  // namespace vmx
