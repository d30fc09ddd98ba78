// A chain guest's MOV to CR0 (vmm/guests/bios_chain/cr0.h) and the decoding around
// it (ia32/vmx/cr_qualification.h, register_by_code).
#include <gtest/gtest.h>

#include "ia32/vmx/cr_qualification.h"
#include "guests/bios_chain/cr0.h"
#include "vmx/exit_context.h"

namespace {

constexpr uint64_t ne = cr0::ne;

TEST(ChainCr0, NeStaysSetAndTheShadowTakesTheGuestsValue) {
  const guests::bios_chain::ChainCr0Write set = guests::bios_chain::chain_cr0_write(0x11 | ne, ne);
  EXPECT_EQ(set.refused, nullptr);
  EXPECT_EQ(set.guest_cr0, 0x11 | ne);
  EXPECT_EQ(set.read_shadow, ne);
  const guests::bios_chain::ChainCr0Write cleared = guests::bios_chain::chain_cr0_write(0x11, ne);
  EXPECT_EQ(cleared.guest_cr0, 0x11 | ne) << "the CPU keeps NE";
  EXPECT_EQ(cleared.read_shadow, 0u) << "the guest reads its 0";
  // PE and PG are the guest's under unrestricted guest.
  EXPECT_EQ(guests::bios_chain::chain_cr0_write(0x80000011, ne).guest_cr0, 0x80000011 | ne);
}

TEST(ChainCr0, WhatFaultsNativelyIsRefused) {
  EXPECT_STREQ(guests::bios_chain::chain_cr0_write(1ull << 32, ne).refused, "reserved bits 63:32 set");
  EXPECT_STREQ(guests::bios_chain::chain_cr0_write(cr0::pg, ne).refused, "PG without PE");
  EXPECT_STREQ(guests::bios_chain::chain_cr0_write(guests::bios_chain::cr0_nw | cr0::pe, ne).refused, "NW without CD");
  EXPECT_EQ(guests::bios_chain::chain_cr0_write(guests::bios_chain::cr0_nw | guests::bios_chain::cr0_cd, ne).refused, nullptr);
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
