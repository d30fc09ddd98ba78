// The exit path's pure parts: the context the stub fills (vmm/vmx/
// exit_context.h), the handler table by exit slot (vmm/vmx/exit_handlers.h),
// the exit observer's counts over fake exits (vmm/vmx/exit_stats.h), the
// exit path's shortcuts into the port policy (vmm/vmx/exit_io_policy.h) and
// the decoding of a failed VMLAUNCH/VMRESUME.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>

#include "ia32/vmx/exit_reason.h"
#include "layout.h"
#include "vmx/exit_context.h"
#include "vmx/exit_handlers.h"
#include "vmx/exit_io_policy.h"
#include "vmx/exit_stats.h"

namespace {

using ia32::vmx::exit_reason_count;
using ia32::vmx::exit_reason_slot;
using ia32::vmx::ExitReason;
using vmx::ExitContext;
using vmx::ExitStats;
using vmx::PortAction;

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
  // The stub subtracts the whole context from a stack 8 bytes off 16 and calls.
  EXPECT_EQ(sizeof(ExitContext) % 16, 8u);
  EXPECT_EQ(offsetof(ExitContext, registers), 0u);
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
void fake_exception(ExitContext&) { ran = 1; }
void fake_interrupt(ExitContext&) { ran = 2; }
void fake_io(ExitContext&) { ran = 3; }
void fake_vmcall(ExitContext&) { ran = 4; }
void fake_ept(ExitContext&) { ran = 5; }
void fake_timer(ExitContext&) { ran = 6; }
void fake_fallback(ExitContext&) { ran = 7; }

constexpr vmx::HandlerTable fake_table = vmx::make_handler_table({
    .exception_or_nmi = fake_exception,
    .external_interrupt = fake_interrupt,
    .io_instruction = fake_io,
    .vmcall = fake_vmcall,
    .ept_violation = fake_ept,
    .preemption_timer = fake_timer,
    .fallback = fake_fallback,
});

int run_for(uint32_t exit_reason_field) {
  ExitContext exit{};
  ran = 0;
  fake_table.for_exit(exit_reason_field)(exit);
  return ran;
}

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

// ---------------------------------------------------------------- observer

constexpr uint16_t com1 = layout::COM1_PORT;
constexpr uint64_t in_bit = 1u << 3, string_bit = 1u << 4, rep_bit = 1u << 5;

// An I/O exit as the handler leaves it: qualification read, elements moved.
ExitContext io_exit(uint16_t port, unsigned bytes, uint64_t flags, uint32_t elements = 0) {
  ExitContext exit{};
  exit.info.exit_reason = reason(ExitReason::io_instruction);
  exit.info.exit_qualification = uint64_t{port} << 16 | (bytes - 1) | flags;
  exit.string_elements = elements;
  return exit;
}

// What the dispatcher does around a handler, for a fake exit.
void observe(ExitStats& stats, const ExitContext& exit) {
  vmx::observe_before(stats, exit_reason_slot(exit.info.exit_reason));
  vmx::observe_after(stats, exit);
}

TEST(ExitStats, CountsEveryExitBySlot) {
  ExitStats stats{};
  ExitContext vmcall{};
  vmcall.info.exit_reason = reason(ExitReason::vmcall);
  ExitContext failed{};
  failed.info.exit_reason = 0x80000021u;
  observe(stats, vmcall);
  observe(stats, failed);
  observe(stats, io_exit(layout::BENCH_PORT, 1, 0));
  observe(stats, io_exit(layout::BENCH_PORT, 1, 0));
  EXPECT_EQ(stats.by_reason[reason(ExitReason::vmcall)], 1u);
  EXPECT_EQ(stats.by_reason[exit_reason_count], 1u) << "others";
  EXPECT_EQ(stats.by_reason[reason(ExitReason::io_instruction)], 2u);
  EXPECT_EQ(vmx::total_exits(stats), 4u);
  EXPECT_EQ(stats.unpolled_outs, 2u);
  EXPECT_EQ(stats.denied_accesses, 0u);
}

TEST(ExitStats, Com1ByteAccessesByRegisterAndDirection) {
  ExitStats stats{};
  observe(stats, io_exit(com1 + 5, 1, in_bit));  // in al from LSR
  observe(stats, io_exit(com1 + 5, 1, in_bit));
  observe(stats, io_exit(com1 + 0, 1, 0));       // out to THR
  observe(stats, io_exit(com1 + 3, 1, 0));       // out to LCR (virtual)
  EXPECT_EQ(stats.com1_in[5], 2u);
  EXPECT_EQ(stats.com1_out[0], 1u);
  EXPECT_EQ(stats.com1_out[3], 1u);
  EXPECT_EQ(stats.unpolled_outs, 0u);
  EXPECT_EQ(stats.denied_accesses, 0u);
  EXPECT_EQ(stats.string_io_exits, 0u);
}

TEST(ExitStats, StringsThePolicyAllowsOncePerChunk) {
  ExitStats stats{};
  observe(stats, io_exit(com1, 1, string_bit | rep_bit, 32));
  observe(stats, io_exit(com1, 1, string_bit | rep_bit, 7));
  EXPECT_EQ(stats.string_io_exits, 2u);
  EXPECT_EQ(stats.com1_out[0], 0u) << "strings are counted as strings";
  EXPECT_EQ(stats.denied_accesses, 0u);
}

TEST(ExitStats, DeniedAccessesCountedAndTheFirstFewLogged) {
  ExitStats stats{};
  observe(stats, io_exit(0x64, 1, in_bit));                             // in al, 0x64
  observe(stats, io_exit(0x70, 1, 0));                                  // out 0x70, al
  observe(stats, io_exit(0xCF8, 4, in_bit));                            // in eax, 0xcf8
  observe(stats, io_exit(0x60, 1, in_bit | string_bit | rep_bit, 4));  // rep insb x4
  observe(stats, io_exit(com1 + 5, 1, 0));                              // out to LSR
  observe(stats, io_exit(com1, 2, 0));                                  // COM1 is byte-wide
  ASSERT_EQ(stats.denied_accesses, 6u);
  const vmx::DeniedAccess& first = stats.denied_log[0];
  EXPECT_EQ(first.port, 0x64);
  EXPECT_EQ(first.bytes, 1);
  EXPECT_TRUE(first.in);
  EXPECT_FALSE(first.string);
  EXPECT_EQ(first.elements, 1u);
  EXPECT_EQ(stats.denied_log[2].bytes, 4);
  const vmx::DeniedAccess& string = stats.denied_log[3];
  EXPECT_EQ(string.port, 0x60);
  EXPECT_TRUE(string.string);
  EXPECT_EQ(string.elements, 4u) << "what the handler moved";
  EXPECT_EQ(stats.denied_log[5].port, com1);
  EXPECT_EQ(stats.com1_out[5], 0u);
  EXPECT_EQ(stats.string_io_exits, 0u) << "a denied string is a denied access";

  for (int i = 0; i < 20; ++i) observe(stats, io_exit(0x80, 1, 0));
  EXPECT_EQ(stats.denied_accesses, 26u);
  EXPECT_EQ(stats.denied_log[vmx::denied_log_size - 1].port, 0x80);
}

TEST(ExitStats, OtherExitsCountByReasonOnly) {
  ExitStats stats{};
  ExitContext tick{};
  tick.info.exit_reason = reason(ExitReason::external_interrupt);
  tick.info.exit_qualification = uint64_t{0xE9} << 16;  // not an I/O exit: not looked at
  observe(stats, tick);
  EXPECT_EQ(stats.by_reason[reason(ExitReason::external_interrupt)], 1u);
  EXPECT_EQ(stats.unpolled_outs, 0u);
  EXPECT_EQ(stats.denied_accesses, 0u);
}

// ---------------------------------------------------------------- policy shortcuts

TEST(ExitIoPolicy, Com1ShortcutAgreesWithThePolicyTable) {
  for (unsigned offset = 0; offset < vmx::com1_registers; ++offset) {
    for (bool in : {false, true}) {
      EXPECT_EQ(vmx::com1_byte_action(offset, in),
                vmx::decide_port_access(static_cast<uint16_t>(com1 + offset), 1, in))
          << "offset " << offset << (in ? " in" : " out");
    }
  }
}

TEST(ExitIoPolicy, Com1ByteOffsetOnlyForSingleBytesOnCom1) {
  const auto offset = [](uint16_t port, unsigned bytes, uint64_t flags) {
    return vmx::com1_byte_offset({uint64_t{port} << 16 | (bytes - 1) | flags});
  };
  EXPECT_EQ(offset(com1 + 5, 1, in_bit), 5u);
  EXPECT_EQ(offset(com1, 1, 0), 0u);
  EXPECT_EQ(offset(com1 + 8, 1, 0), vmx::com1_registers);
  EXPECT_EQ(offset(com1 - 1, 1, 0), vmx::com1_registers);
  EXPECT_EQ(offset(com1, 2, 0), vmx::com1_registers);
  EXPECT_EQ(offset(com1, 1, string_bit), vmx::com1_registers);
  EXPECT_EQ(vmx::io_access_action({uint64_t{com1} << 16 | in_bit}), PortAction::uart_forward);
  EXPECT_EQ(vmx::io_access_action({uint64_t{0x3FF} << 16 | 1}), PortAction::deny)
      << "a word at COM1+7 reaches 0x400";
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
