// A chain guest's MOV to CR0 (vmm/guests/bios_chain/cr0.h) and the decoding around
// it (ia32/vmx/cr_qualification.h, register_by_code).
#include <gtest/gtest.h>

#include "ia32/vmx/cr_qualification.h"
#include "guests/bios_chain/cr0.h"
#include "vmx/exit_context.h"

namespace {

constexpr uint64_t ne = cr0::ne;
using guests::bios_chain::chain_cr0_write;
using guests::bios_chain::ChainCr0Write;
using guests::bios_chain::efer_lma;
using guests::bios_chain::efer_lme;

// A MOV to CR0 in real mode or 32-bit code, EFER and CR4 clear.
ChainCr0Write write32(uint64_t value) { return chain_cr0_write(value, ne, 0, 0, false); }

TEST(ChainCr0, NeStaysSetAndTheShadowTakesTheGuestsValue) {
  const ChainCr0Write set = write32(0x11 | ne);
  EXPECT_EQ(set.refused, nullptr);
  EXPECT_EQ(set.guest_cr0, 0x11 | ne);
  EXPECT_EQ(set.read_shadow, ne);
  const ChainCr0Write cleared = write32(0x11);
  EXPECT_EQ(cleared.guest_cr0, 0x11 | ne) << "the CPU keeps NE";
  EXPECT_EQ(cleared.read_shadow, 0u) << "the guest reads its 0";
  // PE and PG are the guest's under unrestricted guest; PG is watched.
  const ChainCr0Write paging = write32(0x80000011);
  EXPECT_EQ(paging.guest_cr0, 0x80000011 | ne);
  EXPECT_EQ(paging.read_shadow, cr0::pg) << "PG in the mask, so in the shadow";
  EXPECT_FALSE(paging.ia32e_mode_guest) << "32-bit paging";
  EXPECT_EQ(guests::bios_chain::cr0_guest_host_mask(ne), ne | cr0::pg);
}

TEST(ChainCr0, WhatFaultsNativelyIsRefused) {
  EXPECT_STREQ(write32(1ull << 32).refused, "reserved bits 63:32 set");
  EXPECT_STREQ(write32(cr0::pg).refused, "PG without PE");
  EXPECT_STREQ(write32(guests::bios_chain::cr0_nw | cr0::pe).refused, "NW without CD");
  EXPECT_EQ(write32(guests::bios_chain::cr0_nw | guests::bios_chain::cr0_cd).refused, nullptr);
}

TEST(ChainCr0, PagingOnWithLmeEntersIa32eModePagingOffLeavesIt) {
  const uint64_t on = cr0::pg | cr0::pe | ne;
  const ChainCr0Write enter = chain_cr0_write(on, ne, efer_lme, cr4::pae, false);
  EXPECT_EQ(enter.refused, nullptr);
  EXPECT_TRUE(enter.ia32e_mode_guest);
  EXPECT_EQ(enter.guest_efer, efer_lme | efer_lma);
  EXPECT_STREQ(chain_cr0_write(on, ne, efer_lme, 0, false).refused,
               "paging on with EFER.LME but not CR4.PAE");
  const ChainCr0Write leave = chain_cr0_write(cr0::pe | ne, ne, efer_lme | efer_lma, cr4::pae, false);
  EXPECT_EQ(leave.refused, nullptr) << "from compatibility mode";
  EXPECT_FALSE(leave.ia32e_mode_guest);
  EXPECT_EQ(leave.guest_efer, efer_lme);
  EXPECT_STREQ(chain_cr0_write(cr0::pe | ne, ne, efer_lme | efer_lma, cr4::pae, true).refused,
               "paging off in 64-bit code");
  const ChainCr0Write stay = chain_cr0_write(on | 0x8, ne, efer_lme | efer_lma, cr4::pae, true);
  EXPECT_TRUE(stay.ia32e_mode_guest) << "another bit written in long mode: still in it";
  EXPECT_EQ(stay.guest_efer, efer_lme | efer_lma);
}

TEST(ChainCr4, VmxeStaysSetAndHiddenSettingItFaults) {
  const auto w = guests::bios_chain::chain_cr4_write(cr4::pae | cr4::pse, cr4::vmxe);
  EXPECT_FALSE(w.fault);
  EXPECT_EQ(w.guest_cr4, cr4::pae | cr4::pse | cr4::vmxe);
  EXPECT_EQ(w.read_shadow, 0u);
  EXPECT_TRUE(guests::bios_chain::chain_cr4_write(cr4::vmxe, cr4::vmxe).fault)
      << "as on a CPU without VMX";
}

TEST(CrQualification, DecodesRegisterAccessAndGpr) {
  const ia32::vmx::CrQualification q{0x0B00 | 0x00 | 0};  // MOV CR0, R11
  EXPECT_EQ(q.cr(), 0u);
  EXPECT_EQ(q.access(), ia32::vmx::CrAccess::mov_to_cr);
  EXPECT_EQ(q.gpr(), 11u);
  EXPECT_EQ((ia32::vmx::CrQualification{0x34}).access(), ia32::vmx::CrAccess::lmsw);
  EXPECT_EQ((ia32::vmx::CrQualification{0x34}).cr(), 4u);
}

TEST(RegisterByCode, SkipsRspWhichTheVmcsHolds) {
  vmx::GuestRegisters r{};
  r.rax = 1; r.rbx = 3; r.rbp = 5; r.r15 = 15;
  EXPECT_EQ(*vmx::register_by_code(r, 0), 1u);
  EXPECT_EQ(*vmx::register_by_code(r, 3), 3u);
  EXPECT_EQ(vmx::register_by_code(r, 4), nullptr);
  EXPECT_EQ(*vmx::register_by_code(r, 5), 5u);
  EXPECT_EQ(*vmx::register_by_code(r, 15), 15u);
  EXPECT_EQ(vmx::register_by_code(r, 16), nullptr);
}

}  // namespace
