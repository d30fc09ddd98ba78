// The exit path's pure parts: the context the stub fills (vmm/vmx/
// exit_context.h) where it lies in the Vcpu (vmm/vmx/vcpu.h), the handler
// table by exit slot (vmm/vmx/exit_handlers.h), the counts (vmm/vmx/
// exit_stats.h), which exit information each exit defines
// (vmm/vmx/vmcs_image.h) and the decoding of a failed VMLAUNCH/VMRESUME.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "ia32/vmx/exit_reason.h"
#include "layout.h"
#include "vmx/exit_context.h"
#include "vmx/exit_handlers.h"
#include "vmx/exit_stats.h"
#include "vmx/vcpu.h"

namespace {

using ia32::vmx::exit_reason_count;
using ia32::vmx::exit_reason_slot;
using ia32::vmx::ExitReason;
using vmx::ExitContext;
using vmx::ExitStats;

constexpr uint32_t reason(ExitReason r) { return static_cast<uint32_t>(r); }

// ---------------------------------------------------------------- context

TEST(ExitContext, RegistersInTheOrderOfTheirEncodingsWithoutRsp) {
  EXPECT_EQ(sizeof(vmx::GuestRegisters), 15u * 8);
  EXPECT_EQ(offsetof(vmx::GuestRegisters, rax), 0u * 8);
  EXPECT_EQ(offsetof(vmx::GuestRegisters, rcx), 1u * 8);
  EXPECT_EQ(offsetof(vmx::GuestRegisters, rdx), 2u * 8);
  EXPECT_EQ(offsetof(vmx::GuestRegisters, rbx), 3u * 8);
  EXPECT_EQ(offsetof(vmx::GuestRegisters, rbp), 4u * 8);  // RSP (code 4) is in the VMCS
  EXPECT_EQ(offsetof(vmx::GuestRegisters, rsi), 5u * 8);
  EXPECT_EQ(offsetof(vmx::GuestRegisters, rdi), 6u * 8);
  EXPECT_EQ(offsetof(vmx::GuestRegisters, r8), 7u * 8);
  EXPECT_EQ(offsetof(vmx::GuestRegisters, r15), 14u * 8);
  EXPECT_EQ(offsetof(ExitContext, registers), 0u);
}

TEST(Vcpu, TheContextIsTheHostStackTopTheExitStackRightBelowIt) {
  // The stub calls with RSP at the context: 16-aligned, as the ABI wants.
  EXPECT_EQ(offsetof(vmx::Vcpu, context) % 16, 0u);
  EXPECT_EQ(alignof(vmx::Vcpu) % 16, 0u);
  EXPECT_EQ(offsetof(vmx::Vcpu, exit_stack) + sizeof(vmx::Vcpu::exit_stack),
            offsetof(vmx::Vcpu, context));
  // The VMX regions are pages of their own.
  EXPECT_EQ(offsetof(vmx::Vcpu, vmxon_region) % 4096, 0u);
  EXPECT_EQ(offsetof(vmx::Vcpu, vmcs_region) % 4096, 0u);
  EXPECT_EQ(offsetof(vmx::Vcpu, io_bitmap_a) % 4096, 0u);
  EXPECT_EQ(offsetof(vmx::Vcpu, io_bitmap_b) % 4096, 0u);
  EXPECT_EQ(offsetof(vmx::Vcpu, msr_bitmap) % 4096, 0u);
}

TEST(ExitInfo, EachExitReadsTheFieldsItDefines) {
  const uint64_t string_bit = 1u << 4;
  EXPECT_EQ(vmx::exit_defined_results(reason(ExitReason::io_instruction), 0x3F80000), 0u)
      << "IN/OUT: reason, qualification, length and RIP only";
  EXPECT_EQ(vmx::exit_defined_results(reason(ExitReason::io_instruction), string_bit), 2u)
      << "INS/OUTS: the instruction information and the guest-linear address too";
  EXPECT_EQ(vmx::exit_defined_results(reason(ExitReason::ept_violation), 0), 3u)
      << "and the guest-physical address";
  EXPECT_EQ(vmx::exit_defined_results(reason(ExitReason::ept_misconfiguration), 0), 3u);
  EXPECT_EQ(vmx::exit_defined_results(reason(ExitReason::cpuid), string_bit), 0u);
  EXPECT_EQ(vmx::exit_defined_results(1u << 27 | reason(ExitReason::ept_violation), 0), 3u)
      << "bits 31:16 of the reason do not change it";
  EXPECT_EQ(vmx::results[vmx::results_every_exit + 2].field,
            ia32::vmx::VmcsField::guest_physical_address);
}

TEST(ExitContext, TypedViewsOfTheExitInformation) {
  ExitContext exit{};
  exit.info.exit_qualification = uint64_t{0x3FD} << 16 | 1u << 3;  // in al, dx from LSR
  exit.info.guest_rip = 0x1234;
  exit.info.instruction_length = 1;
  EXPECT_TRUE(exit.io().is_in());
  EXPECT_EQ(exit.io().port(), 0x3FD);
  EXPECT_EQ(exit.io().size_bytes(), 1u);
  EXPECT_EQ(exit.next_rip(), 0x1235u);
}

TEST(EnterFailure, DecodesWhatTheStubReturns) {
  const vmx::EnterFailure launch_invalid{layout::ENTER_LAUNCH_FAILED | 0x01};  // CF
  EXPECT_TRUE(launch_invalid.failed());
  EXPECT_FALSE(launch_invalid.on_resume());
  EXPECT_STREQ(launch_invalid.step(), "vmlaunch");
  EXPECT_EQ(launch_invalid.result(), ia32::vmx::VmxResult::fail_invalid);

  const vmx::EnterFailure resume_valid{layout::ENTER_RESUME_FAILED | 0x40};  // ZF
  EXPECT_TRUE(resume_valid.failed());
  EXPECT_TRUE(resume_valid.on_resume());
  EXPECT_STREQ(resume_valid.step(), "vmresume");
  EXPECT_EQ(resume_valid.result(), ia32::vmx::VmxResult::fail_valid);

  EXPECT_EQ(vmx::enter_failure_flags, 0x41u);
  EXPECT_FALSE(vmx::EnterFailure{0x10000}.failed()) << "the guest's own end is no entry failure";
}

// ---------------------------------------------------------------- table

TEST(ExitReasonSlot, BasicReasonOrTheLastSlot) {
  EXPECT_EQ(exit_reason_slot(reason(ExitReason::io_instruction)), 30u);
  EXPECT_EQ(exit_reason_slot(reason(ExitReason::exception_or_nmi)), 0u);
  EXPECT_EQ(exit_reason_slot(exit_reason_count - 1), exit_reason_count - 1);
  // A failed VM entry: bit 31 with reason 33, 34 or 41.
  EXPECT_EQ(exit_reason_slot(0x80000021u), exit_reason_count);
  EXPECT_EQ(exit_reason_slot(0x80000022u), exit_reason_count);
  // Newer than the table.
  EXPECT_EQ(exit_reason_slot(exit_reason_count), exit_reason_count);
  EXPECT_EQ(exit_reason_slot(0xFFFFu), exit_reason_count);
  // Bits 30:16 (enclave mode, pending MTF, ...) do not change the slot.
  EXPECT_EQ(exit_reason_slot(1u << 27 | 30), 30u);
  EXPECT_EQ(exit_reason_slot(1u << 28 | 18), 18u);
}

// Fakes that say which one ran.
int ran;
void fake_exception(vmx::Vcpu&) { ran = 1; }
void fake_interrupt(vmx::Vcpu&) { ran = 2; }
void fake_io(vmx::Vcpu&) { ran = 3; }
void fake_vmcall(vmx::Vcpu&) { ran = 4; }
void fake_ept(vmx::Vcpu&) { ran = 5; }
void fake_timer(vmx::Vcpu&) { ran = 6; }
void fake_fallback(vmx::Vcpu&) { ran = 7; }
void fake_io_override(vmx::Vcpu&) { ran = 8; }

constexpr vmx::HandlerTable fake_table = vmx::make_handler_table(
    fake_fallback, {
                       {ExitReason::exception_or_nmi, fake_exception},
                       {ExitReason::external_interrupt, fake_interrupt},
                       {ExitReason::io_instruction, fake_io},
                       {ExitReason::vmcall, fake_vmcall},
                       {ExitReason::ept_violation, fake_ept},
                       {ExitReason::preemption_timer, fake_timer},
                   });

int run_for(const vmx::HandlerTable& table, uint32_t exit_reason_field) {
  static vmx::Vcpu* vcpu = new vmx::Vcpu{};
  ran = 0;
  table.for_exit(exit_reason_field)(*vcpu);
  return ran;
}
int run_for(uint32_t exit_reason_field) { return run_for(fake_table, exit_reason_field); }

TEST(HandlerTable, OneHandlerPerReasonTheRestToTheFallback) {
  EXPECT_EQ(run_for(reason(ExitReason::exception_or_nmi)), 1);
  EXPECT_EQ(run_for(reason(ExitReason::external_interrupt)), 2);
  EXPECT_EQ(run_for(reason(ExitReason::io_instruction)), 3);
  EXPECT_EQ(run_for(reason(ExitReason::vmcall)), 4);
  EXPECT_EQ(run_for(reason(ExitReason::ept_violation)), 5);
  EXPECT_EQ(run_for(reason(ExitReason::preemption_timer)), 6);
  int handled = 0;
  for (uint32_t r = 0; r < exit_reason_count; ++r) handled += run_for(r) != 7;
  EXPECT_EQ(handled, 6) << "six reasons have handlers, every other slot the fallback";
  EXPECT_EQ(run_for(reason(ExitReason::triple_fault)), 7);
  EXPECT_EQ(run_for(reason(ExitReason::cpuid)), 7);
  EXPECT_EQ(run_for(0x80000021u), 7) << "a failed entry, though 33 would be in range";
  EXPECT_EQ(run_for(0x80000000u | reason(ExitReason::io_instruction)), 7);
  EXPECT_EQ(run_for(exit_reason_count), 7);
  EXPECT_EQ(run_for(0xFFFFu), 7);
  for (vmx::ExitHandler h : fake_table.slots) EXPECT_NE(h, nullptr);
}

TEST(HandlerTable, AProfilesOwnHandlerOverTheCoresLaterInTheList) {
  constexpr vmx::HandlerTable table = vmx::make_handler_table(
      fake_fallback, {{ExitReason::io_instruction, fake_io},
                      {ExitReason::io_instruction, fake_io_override}});
  EXPECT_EQ(run_for(table, reason(ExitReason::io_instruction)), 8);
}

// ---------------------------------------------------------------- counts

TEST(ExitStats, CountsEveryExitBySlotAndTheDeniedOnesWithTheFirstFewLogged) {
  ExitStats stats{};
  vmx::count_exit(stats, exit_reason_slot(reason(ExitReason::vmcall)));
  vmx::count_exit(stats, exit_reason_slot(0x80000021u));
  vmx::count_exit(stats, exit_reason_slot(reason(ExitReason::io_instruction)));
  vmx::count_exit(stats, exit_reason_slot(reason(ExitReason::io_instruction)));
  EXPECT_EQ(stats.by_reason[reason(ExitReason::vmcall)], 1u);
  EXPECT_EQ(stats.by_reason[exit_reason_count], 1u) << "others";
  EXPECT_EQ(vmx::exits_by(stats, ExitReason::io_instruction), 2u);
  EXPECT_EQ(vmx::total_exits(stats), 4u);

  vmx::count_denied(stats, {0x64, 1, true, false, 1});
  vmx::count_denied(stats, {0x60, 1, true, true, 4});
  for (int i = 0; i < 20; ++i) vmx::count_denied(stats, {0x80, 1, false, false, 1});
  EXPECT_EQ(stats.denied_accesses, 22u);
  EXPECT_EQ(stats.denied_log[0].port, 0x64);
  EXPECT_EQ(stats.denied_log[1].elements, 4u);
  EXPECT_EQ(stats.denied_log[vmx::denied_log_size - 1].port, 0x80);
}

}  // namespace

#include "ia32/vmx/ept_violation_qualification.h"

namespace {

TEST(EptViolationQualification, TheAccessThatCausedIt) {
  using ia32::vmx::EptViolationQualification;
  EXPECT_STREQ(EptViolationQualification{0x1}.access(), "read of");
  EXPECT_STREQ(EptViolationQualification{0x2}.access(), "write to");
  EXPECT_STREQ(EptViolationQualification{0x3}.access(), "write to");
  EXPECT_STREQ(EptViolationQualification{0x4}.access(), "instruction fetch from");
  EXPECT_TRUE(EptViolationQualification{0x182}.write());
  EXPECT_TRUE(EptViolationQualification{0x182}.linear_address_valid());
  EXPECT_FALSE(EptViolationQualification{0x182}.read());
}

}  // namespace
