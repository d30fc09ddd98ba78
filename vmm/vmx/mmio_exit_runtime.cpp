// The EPT violations on ranges a device claims (devices/mmio_map.h): the
// guest's store decoded and handed to the device, which carries it out,
// drops it or ends the guest by it. The instruction's bytes are fetched as
// the guest's CPU fetched them (vmx/guest_code.h, through the guest's
// paging in its current mode), once, into the VMM's buffer; paging entries
// and code are read only from the guest's memory (devices/guest_physical.h:
// below 4 GiB, not the VMM's; and not a device's registers). The identity EPT is assumed: a profile
// sets Vcpu::mmio only for a guest that runs on one (guest-physical =
// host-physical). Bounded work: at most two page walks and fifteen bytes,
// one device write. 64-bit VMM only.
#include "devices/guest_physical.h"
#include "ia32/registers.h"
#include "vmx/exit_path.h"
#include "vmx/guest_code.h"
#include "vmx/mmio_exit.h"
#include "vmx/store_decoder.h"

namespace vmx::exit_path {

using ia32::vmx::VmcsField;

namespace {

constexpr uint32_t blocking_by_sti_or_mov_ss = 3;  // interruptibility bits 0, 1

// Guest memory the VMM reads for a walk or an instruction: the device
// layer's one way to it (below 4 GiB, never the VMM's), never a device's
// registers.
struct GuestMemoryReader {
  const devices::MmioMap& mmio;
  bool operator()(uint64_t address, unsigned bytes, uint64_t* value) const {
    if (bytes > sizeof(*value) || mmio.touches(address, bytes)) return false;
    uint64_t read = 0;  // little-endian: the bytes in order are the value
    if (!devices::copy_from_guest_physical(address, &read, bytes)) return false;
    *value = read;
    return true;
  }
};

uint64_t segment_base(ia32::vmx::VmcsField first_base, uint8_t segment) {
  return vmread_or_zero(ia32::vmx::encoding(first_base) + 2u * segment);
}
static_assert(ia32::vmx::encoding(VmcsField::guest_es_base) + 2 * 4 ==
              ia32::vmx::encoding(VmcsField::guest_fs_base));

GuestPagingState paging_state(const Vcpu& vcpu) {
  GuestPagingState s{};
  s.cr0 = vmread_or_zero(VmcsField::guest_cr0);
  s.cr3 = vmread_or_zero(VmcsField::guest_cr3);
  s.cr4 = vmread_or_zero(VmcsField::guest_cr4);
  s.efer = vmread_or_zero(VmcsField::guest_ia32_efer);
  s.physical_address_bits = vcpu.memory.physical_address_bits;
  if (guest_paging_mode(s) == GuestPagingMode::pae) {
    s.pdptes[0] = vmread_or_zero(VmcsField::guest_pdpte0);
    s.pdptes[1] = vmread_or_zero(VmcsField::guest_pdpte1);
    s.pdptes[2] = vmread_or_zero(VmcsField::guest_pdpte2);
    s.pdptes[3] = vmread_or_zero(VmcsField::guest_pdpte3);
  }
  return s;
}

}  // namespace

void handle_mmio_store(Vcpu& vcpu, uint8_t slot) {
  ExitContext& exit = vcpu.context;
  const ExitInfo& info = exit.info;
  const devices::MmioMap& mmio = *vcpu.mmio;
  if (const char* refusal = mmio_violation_refusal(
          info.exit_qualification,
          static_cast<uint32_t>(vmread_or_zero(VmcsField::idt_vectoring_info)))) {
    return stop_with_dump(vcpu, refusal);
  }
  const GuestPagingState paging = paging_state(vcpu);
  const uint32_t cs_access = static_cast<uint32_t>(vmread_or_zero(VmcsField::guest_cs_access_rights));
  const CodeSize code = code_size(cs_access, (paging.efer & paging_bits::efer_lma) != 0);
  // CPL: SS's DPL (SDM 26.3.1.2), bits 6:5 of its access rights.
  const unsigned cpl = (vmread_or_zero(VmcsField::guest_ss_access_rights) >> 5) & 3;
  const GuestCodePointer at{vmread_or_zero(VmcsField::guest_cs_base), info.guest_rip, code,
                            cpl == 3};
  uint8_t bytes[longest_instruction];
  const size_t fetched = fetch_guest_instruction(paging, at, bytes, GuestMemoryReader{mmio});
  const DecodedStore store = decode_store(bytes, fetched, code);
  if (store.refused != nullptr) return stop_with_dump(vcpu, store.refused);

  // The registers by code, RSP from the VMCS.
  GuestRegisters& r = exit.registers;
  uint64_t registers[16] = {r.rax, r.rcx, r.rdx, r.rbx, vmread_or_zero(VmcsField::guest_rsp),
                            r.rbp, r.rsi, r.rdi, r.r8,  r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14,
                            r.r15};
  const uint64_t next_rip = rip_after(info.guest_rip, store.length, code);
  // In 64-bit code only FS's and GS's bases count.
  const bool flat = code == CodeSize::bits64 && store.segment < 4;
  uint64_t linear = (flat ? 0 : segment_base(VmcsField::guest_es_base, store.segment)) +
                    store_offset(store, registers, next_rip);
  if (code != CodeSize::bits64) linear &= 0xFFFFFFFFull;
  if (const char* mismatch = mmio_store_mismatch(linear, store.bytes, info.guest_linear_address,
                                                 info.guest_physical_address)) {
    return stop_with_dump(vcpu, mismatch);
  }

  devices::MmioWrite write{info.guest_physical_address, store.bytes,
                           store_value(store, registers), store.exchange, 0};
  GuestEnd end{};
  const devices::MmioDevice& device = *mmio.range(slot).device;
  const devices::MmioVerdict verdict = device.write(device.state, write, end);
  switch (verdict) {
    case devices::MmioVerdict::done:
    case devices::MmioVerdict::nmi:
      break;
    case devices::MmioVerdict::deny:
      write.old = ~0ull;
      break;
    case devices::MmioVerdict::end:
      return end_guest(vcpu, end);
  }
  if (store.exchange) {
    exchange_register(store, registers, write.old, code);
    if (store.reg == 4) {
      write_guest_state(vcpu, VmcsField::guest_rsp, registers[4], "VMWRITE of the guest's RSP failed");
    } else {
      *register_by_code(r, store.reg) = registers[store.reg];
    }
  }
  // Past the instruction; an STI or MOV SS shadow it sat in is over.
  write_guest_state(vcpu, VmcsField::guest_rip, next_rip, "VMWRITE of the guest RIP failed");
  const uint64_t blocking = vmread_or_zero(VmcsField::guest_interruptibility_state);
  if ((blocking & blocking_by_sti_or_mov_ss) != 0) {
    write_guest_state(vcpu, VmcsField::guest_interruptibility_state,
                      blocking & ~uint64_t{blocking_by_sti_or_mov_ss},
                      "VMWRITE of the guest's interruptibility state failed");
  }
  // (No event was being delivered: mmio_violation_refusal.)
  if (verdict == devices::MmioVerdict::nmi) deliver_nmi(vcpu, false);
}

}  // namespace vmx::exit_path
