# vmxboot — build, run and test.
#
#   make image   build build/vmxboot.img and print its layout (read back from it)
#   make inspect check a vmxboot disk: IMG=<file> or DEV=/dev/sdX (read-only)
#   make run     boot it in Bochs (headless), COM1 on the terminal
#   make test    unit tests on the host, then boot tests in Bochs
#   make bench   boot-time and size figures (emulated instructions)
#   make inject-build
#                the fault-injection build: build/inject/vmm.bin (with the
#                hooks) and build/inject/guest-<case>.bin per guest case
#   make dma-probe-build
#                the DMA probe's test build and image (build/vmxboot-dma-probe.img)
#   make disk2 KIND=mbr-empty|mbr-vbr|grub|linux
#                a guest disk for chain mode from Debian's boot code (linux:
#                Debian 12's kernel, fetched into build/disk2-packages)
#   make test-linux  the linux guest disk booted natively and under the VMM (slow: minutes)
#   make fuzz    run each fuzz target FUZZ_SECONDS (tests/fuzz/README.md)
#
# Missing Debian packages are installed when run as root (tools/
# ensure-packages.sh); otherwise it says what to install.

SHELL := /bin/bash
.DEFAULT_GOAL := image
.DELETE_ON_ERROR:

B       := build
GEN     := $(B)/gen
HOSTB   := $(B)/host

# Fault injection and the end-of-run wait are written into the image header.
INJECT   ?= none
END_WAIT ?= 15
CPU      ?= corei7_skylake_x
BIOS     ?= bochs

CXX      ?= g++
NASM     ?= nasm
LD       ?= ld
OBJCOPY  ?= objcopy
PYTHON   ?= python3

WARN := -Wall -Wextra -Werror
# Freestanding code (stage2's 32-bit part and the VMM): no library, no
# exceptions, no RTTI, no SSE/x87 code, no red zone (interrupts use the stack).
FREESTANDING := -std=c++20 -ffreestanding -fno-exceptions -fno-rtti -nostdlib \
  -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
  -fno-use-cxa-atexit -fno-threadsafe-statics -mgeneral-regs-only -Os $(WARN) \
  -ffunction-sections -fdata-sections \
  -I. -Iabi -Iimage -Ivmm
# stage2's C++ also runs on the 32-bit-only CPUs (to say so): i586, no CMOV.
# String operations GCC inlines (struct copies, __builtin_memcpy) as REP MOVS
# and STOS by whole words: Bochs, where boot time is measured, counts every
# iteration, and -Os would pick REP MOVSB (1 per byte, 4x the work).
CXXFLAGS_32 := $(FREESTANDING) -m32 -march=i586 -mtune=generic -mstringop-strategy=rep_4byte
# stage2's real-mode part: the same, for real mode (-m16: GCC's 32-bit code
# with operand- and address-size prefixes, as Linux builds arch/x86/boot).
# -fno-gnu-unique: inline variables (layout.h's tables) as weak symbols,
# which the separate link of this part (below) can make local; objcopy
# leaves GNU-unique ones global.
CXXFLAGS_16 := $(FREESTANDING) -m16 -march=i586 -mtune=generic -mstringop-strategy=rep_4byte \
  -fno-gnu-unique
# The VMM keeps an 8-byte stack alignment (as Linux does on x86-64): it has
# no SSE code that would need 16, and GCC then adds no stack adjustment
# around calls, which the exit handlers' calls to [[noreturn]] functions
# would otherwise cost on every exit (vmx/exit_runtime.cpp).
CXXFLAGS_64 := $(FREESTANDING) -m64 -mno-red-zone -mcmodel=small -mstringop-strategy=rep_8byte -mpreferred-stack-boundary=3
HOST_CXXFLAGS := -std=c++20 -O1 -g $(WARN) -I. -Iabi -Iimage -Ivmm
# The unit tests unoptimised and without debug information: GoogleTest's
# templates compile about 3x faster so (add -g to debug a test), and the
# shared code is built with -Os (and -Werror) for the VMM anyway.
UNIT_CXXFLAGS := $(HOST_CXXFLAGS) -O0 -g0

layout_value = $(shell sed -n 's/^%define $(1) //p' $(GEN)/layout.inc)

# ---------------------------------------------------------------- sources
LIB_SRCS    := $(wildcard common/*.cpp)
# Host-testable pure logic (no port I/O, no privileged instructions): not
# *_runtime.cpp, nor vmm/vmx/bringup/ (the phases that carry the plan out).
LIB_PURE    := $(filter-out common/console.cpp common/end_run.cpp common/uart16550.cpp common/boot_report.cpp common/end_wait.cpp,$(LIB_SRCS))
# The VMM's folders: the mechanism (vmx/, its entry checker vmx/checks/),
# the devices, the guest profiles, DMA remapping (README "Where things are").
VMM_DIRS    := vmm/vmx vmm/vmx/checks vmm/devices vmm/guests vmm/guests/v86_demo vmm/guests/bios_chain \
               vmm/vtd
VMX_PURE    := $(filter-out %_runtime.cpp,$(foreach d,$(VMM_DIRS),$(wildcard $(d)/*.cpp)))
STAGE2_CPP  := stage2/main32.cpp stage2/run_state.cpp vmm/runtime.cpp common/console.cpp common/end_run.cpp \
               common/uart16550.cpp common/vga_text.cpp common/format.cpp common/acpi.cpp \
               common/crc32c.cpp common/paging.cpp common/boot_report.cpp common/end_wait.cpp \
               common/piix4_power.cpp common/usable_ram.cpp image/image_check.cpp
# stage2's real-mode part (stage2/real_mode.h): its own files, and the header
# check and CRC-32C built for real mode too.
STAGE2_RM_CPP := $(filter-out stage2/main32.cpp stage2/run_state.cpp,$(wildcard stage2/*.cpp)) \
                 image/image_check.cpp common/crc32c.cpp
VMM_CPP     := $(wildcard vmm/*.cpp) $(LIB_SRCS) \
               $(foreach d,$(VMM_DIRS) vmm/vmx/bringup,$(wildcard $(d)/*.cpp))
VMM_ASM     := $(filter-out vmm/symbols_empty.asm,$(wildcard vmm/*.asm)) $(wildcard vmm/vmx/*.asm)
IMAGE_LIB   := image/image_builder.cpp image/image_file.cpp image/image_check.cpp \
               image/image_inspect.cpp
IMAGE_HDRS  := $(wildcard image/*.h abi/*.h) common/crc32c.h
# The fuzz targets' functions (not their libFuzzer entry points): the unit
# tests replay the committed corpus through them.
FUZZ_LIB    := $(filter-out %_fuzz.cpp,$(wildcard tests/fuzz/*.cpp))
# The tests and their support code (tests/unit/*.cpp), then what they test.
UNIT_SRCS   := $(wildcard tests/unit/*.cpp) $(LIB_PURE) $(VMX_PURE) $(IMAGE_LIB) $(FUZZ_LIB)

STAGE2_OBJS := $(patsubst %.asm,$(B)/stage2/%.o,$(wildcard stage2/*.asm)) $(B)/stage2/real_mode.o \
               $(patsubst %.cpp,$(B)/stage2/%.o,$(STAGE2_CPP))
STAGE2_RM_OBJS := $(patsubst %.cpp,$(B)/stage2/rm/%.o,$(STAGE2_RM_CPP))
VMM_OBJS    := $(patsubst %.asm,$(B)/vmm/%.o,$(VMM_ASM)) $(patsubst %.cpp,$(B)/vmm/%.o,$(VMM_CPP))

IMG := $(B)/vmxboot.img
# make image GUEST=chain: chain mode's image (its guest: $(B)/chain-loader.bin)
ifeq ($(GUEST),chain)
IMG := $(B)/vmxboot-chain.img
endif

.PHONY: image inspect run test test-linux unit integration bench fuzz clean deps deps-build deps-test deps-fuzz \
  deps-disk2 screenshot usb disk2 inject-build dma-probe-build

# ---------------------------------------------------------------- packages
deps-build:
	@tools/ensure-packages.sh build
deps-test:
	@tools/ensure-packages.sh test
deps-disk2:
	@tools/ensure-packages.sh disk2
deps-fuzz:
	@tools/ensure-packages.sh fuzz

# ---------------------------------------------------------------- generated
# (It prints the Vcpu's offsets too: every header vmx/vcpu.h draws in.)
$(HOSTB)/gen_layout_inc: abi/gen_layout_inc.cpp $(wildcard abi/*.h common/*.h vmm/*.h vmm/ia32/*.h vmm/ia32/vmx/*.h vmm/vmx/*.h vmm/devices/*.h) \
  stage2/bios_call.h | deps-build
	@mkdir -p $(@D)
	$(CXX) $(HOST_CXXFLAGS) $< -o $@

$(GEN)/layout.inc: $(HOSTB)/gen_layout_inc
	@mkdir -p $(@D)
	$< > $@.tmp && mv $@.tmp $@

# ---------------------------------------------------------------- stage1
$(B)/stage1.bin: stage1/stage1.asm $(GEN)/layout.inc
	$(NASM) -f bin -I $(GEN)/ $< -o $@ -l $(B)/stage1.lst

# ---------------------------------------------------------------- stage2
$(B)/stage2/%.o: %.asm $(GEN)/layout.inc
	@mkdir -p $(@D)
	$(NASM) -f elf32 -I $(GEN)/ $< -o $@

$(B)/stage2/%.o: %.cpp abi/layout.h
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_32) -MMD -MP -c $< -o $@

$(B)/stage2/rm/%.o: %.cpp abi/layout.h
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_16) -MMD -MP -c $< -o $@

# The real-mode part is linked on its own first, into one object: the two
# C++ parts build some sources twice (the header check, CRC-32C), and the
# final link must not hand a 16-bit copy of a function to a 32-bit caller or
# the other way round. So its COMDAT groups (inline functions GCC did not
# inline) are settled here, every symbol it defines is made local but its
# entry and the header's check (real_mode.h), and it may need nothing from
# outside but bios_call (bios_call.asm): checked.
STAGE2_RM_EXPORTS := stage2_real_mode stage2_header_fault
STAGE2_RM_IMPORTS := bios_call
$(B)/stage2/real_mode.o: $(STAGE2_RM_OBJS)
	$(LD) -m elf_i386 -r --force-group-allocation $^ -o $@.all
	$(OBJCOPY) $(addprefix -G ,$(STAGE2_RM_EXPORTS)) $@.all $@
	@undefined="$$(nm -u $@ | awk '{print $$2}' | grep -vxF $(addprefix -e ,$(STAGE2_RM_IMPORTS)) || true)"; \
	  if [ -n "$$undefined" ]; then \
	    echo "$@: the real-mode part needs what only the 32-bit part has: $$undefined" >&2; \
	    rm -f $@; exit 1; fi

$(B)/stage2.elf: $(STAGE2_OBJS) stage2/stage2.ld $(GEN)/layout.inc
	$(LD) -m elf_i386 -nostdlib --no-dynamic-linker -z noexecstack --no-warn-rwx-segments --gc-sections \
	  --defsym STAGE2_ADDR=$(call layout_value,STAGE2_ADDR) --defsym GUEST_ADDR=$(call layout_value,GUEST_ADDR) \
	  -T stage2/stage2.ld $(STAGE2_OBJS) -o $@

$(B)/stage2.bin: $(B)/stage2.elf
	$(OBJCOPY) -O binary $< $@

# ---------------------------------------------------------------- VMM
# Three builds of the VMM from the same sources: $(B)/vmm.bin, the one `make
# image` uses; $(B)/inject/vmm.bin, with -DVMXBOOT_INJECT: the only one with
# the fault-injection hooks (vmm/vmx/fault_cases.h), which mkimage --inject
# requires; and $(B)/dma-probe/vmm.bin, with -DVMXBOOT_DMA_PROBE: the DMA
# probe (vmm/vtd/dma_probe.h), a test build that programs DMA remapping
# before the VMX check and aims QEMU's edu device at the VMM's memory. The
# normal VMM holds neither. Only the sources that include a test build's
# header (no header does) differ from the normal build's, so a test build
# compiles those again and shares the other objects (VMM_TEST_BUILD below).
INJ := $(B)/inject
PRB := $(B)/dma-probe

$(B)/vmm/%.o: %.asm $(GEN)/layout.inc
	@mkdir -p $(@D)
	$(NASM) -f elf64 -I $(GEN)/ $< -o $@

$(B)/vmm/%.o: %.cpp abi/layout.h
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS_64) $(OPT_$<) -MMD -MP -c $< -o $@

# The exit path (the dispatcher and the I/O exits: every exit of the guest
# runs them) is compiled for speed, the rest of the VMM for size.
OPT_vmm/vmx/exit_runtime.cpp := -O2
OPT_vmm/vmx/io_exit_runtime.cpp := -O2

# Two links: the first with an empty symbol table, from which the real one is
# generated for the second (vmm/symbols.h). The table sits after .data, so no
# function moves between the two; checked below.
VMM_LINK = $(LD) -m elf_x86_64 -nostdlib --no-dynamic-linker -z noexecstack --no-warn-rwx-segments \
  --gc-sections -z max-page-size=0x1000 --defsym VMM_ADDR=$(call layout_value,VMM_ADDR) \
  --defsym PAGE_TABLES_ADDR=$(call layout_value,PAGE_TABLES_ADDR) \
  --defsym VMM_MAX_FILE_BYTES=$(call layout_value,VMM_MAX_FILE_BYTES) -T vmm/vmm.ld
text_symbols = nm -n --defined-only $(1) | grep -E ' [tTwW] '

# $(1): the build's folder ($(B) or $(INJ)), $(2): its objects.
define VMM_BINARY
$(1)/vmm-pass1.elf: $(2) $(1)/vmm/vmm/symbols_empty.o vmm/vmm.ld $(GEN)/layout.inc
	$$(VMM_LINK) $(2) $(1)/vmm/vmm/symbols_empty.o -o $$@

$(1)/gen/vmm_symbols.asm: $(1)/vmm-pass1.elf vmm/gen_symbols.sh
	@mkdir -p $$(@D)
	vmm/gen_symbols.sh $$< > $$@.tmp && mv $$@.tmp $$@

$(1)/vmm/vmm_symbols.o: $(1)/gen/vmm_symbols.asm
	$$(NASM) -f elf64 -I $(GEN)/ $$< -o $$@

$(1)/vmm.elf: $(1)/vmm-pass1.elf $(1)/vmm/vmm_symbols.o
	$$(VMM_LINK) $(2) $(1)/vmm/vmm_symbols.o -o $$@
	@diff <($$(call text_symbols,$(1)/vmm-pass1.elf)) <($$(call text_symbols,$$@)) >/dev/null || \
	  { echo "$$@: functions moved between the two links (see vmm/vmm.ld)" >&2; rm -f $$@; exit 1; }

$(1)/vmm.bin: $(1)/vmm.elf
	$$(OBJCOPY) -O binary --remove-section=.bss $$< $$@
endef
# A test build: $(1) its folder, $(2) its -D flag, $(3) the header whose
# includers it compiles again with the flag (the rest are the normal build's
# objects).
define VMM_TEST_BUILD
$(1)/vmm/%.o: %.asm $$(GEN)/layout.inc
	@mkdir -p $$(@D)
	$$(NASM) -f elf64 -I $$(GEN)/ $$< -o $$@

$(1)/vmm/%.o: %.cpp abi/layout.h
	@mkdir -p $$(@D)
	$$(CXX) $$(CXXFLAGS_64) $$(OPT_$$<) $(2) -MMD -MP -c $$< -o $$@

$(1)_RECOMPILED := $$(shell grep -l '$(3)' $$(VMM_CPP))
$$(eval $$(call VMM_BINARY,$(1),$$(filter-out $$(patsubst %.cpp,$$(B)/vmm/%.o,$$($(1)_RECOMPILED)),$$(VMM_OBJS)) $$(patsubst %.cpp,$(1)/vmm/%.o,$$($(1)_RECOMPILED))))
endef

$(eval $(call VMM_BINARY,$(B),$(VMM_OBJS)))
$(eval $(call VMM_TEST_BUILD,$(INJ),-DVMXBOOT_INJECT,vmx/fault_cases.h))
$(eval $(call VMM_TEST_BUILD,$(PRB),-DVMXBOOT_DMA_PROBE,vtd/dma_probe.h))

# ---------------------------------------------------------------- guest
$(B)/guest.bin: guest/guest.asm guest/header_field.inc $(GEN)/layout.inc
	$(NASM) -f bin -I $(GEN)/ $< -o $@

# Chain mode's guest (make image GUEST=chain): the real-mode loader that boots
# BIOS drive CHAIN_DRIVE (default in abi/layout.h: 0x81) under the VMM, with
# the time bound GUEST_LIMIT seconds (0 = none; default: 60 under an
# emulator's firmware, none on a PC).
CHAIN_OPTS := $(if $(CHAIN_DRIVE),-DCHAIN_DRIVE=$(CHAIN_DRIVE)) $(if $(GUEST_LIMIT),-DGUEST_LIMIT=$(GUEST_LIMIT))
$(B)/chain-loader.bin: guest/chain/loader.asm guest/header_field.inc $(GEN)/layout.inc $(B)/chain-options
	$(NASM) -f bin -I $(GEN)/ $(CHAIN_OPTS) $< -o $@

$(B)/chain-options: FORCE
	@mkdir -p $(@D)
	@echo "$(CHAIN_OPTS)" | cmp -s - $@ || echo "$(CHAIN_OPTS)" > $@

# A guest fault-injection case is a guest of its own: build/inject/guest-spin.bin
# is guest/guest.asm with -DINJECT_CASE=INJECT_GUEST_SPIN (guest/inject_cases.asm).
GUEST_CASES := $(shell sed -n 's/.*INJECT_GUEST_[A-Z0-9_]*, [0-9]*, "\([a-z0-9-]*\)".*/\1/p' abi/layout.h)
GUEST_CASE_BINS := $(patsubst %,$(INJ)/%.bin,$(GUEST_CASES))

$(INJ)/guest-%.bin: guest/guest.asm guest/header_field.inc guest/inject_cases.asm $(GEN)/layout.inc
	@mkdir -p $(@D)
	$(NASM) -f bin -I $(GEN)/ -DINJECT_CASE=INJECT_GUEST_$$(echo '$*' | tr 'a-z-' 'A-Z_') $< -o $@

# The injection build: its VMM and every guest case, for the FaultInjection
# tests and `make image INJECT=<case>`.
inject-build: $(INJ)/vmm.bin $(GUEST_CASE_BINS)

# ---------------------------------------------------------------- image
# The host tools link the objects the unit tests are built from (one per
# source, unoptimised: the tools handle a few hundred KiB).
host_objs = $(patsubst %.cpp,$(HOSTB)/unit/%.o,$(1))
IMAGE_TOOL_OBJS := $(call host_objs,$(IMAGE_LIB) common/crc32c.cpp vmm/guests/guest_header_check.cpp)

$(HOSTB)/mkimage: $(call host_objs,image/mkimage.cpp) $(IMAGE_TOOL_OBJS)
	$(CXX) $^ -o $@

$(HOSTB)/inspect: $(call host_objs,image/inspect.cpp) $(IMAGE_TOOL_OBJS)
	$(CXX) $^ -o $@

# The image depends on the build options too: rebuild when they change.
$(B)/image-options: FORCE
	@mkdir -p $(@D)
	@echo "INJECT=$(INJECT) END_WAIT=$(END_WAIT)" | cmp -s - $@ || echo "INJECT=$(INJECT) END_WAIT=$(END_WAIT)" > $@

# INJECT=<case> takes the injection build's VMM, and for a guest case that
# case's guest; INJECT=none the normal ones.
IMAGE_VMM   := $(if $(filter none,$(INJECT)),$(B)/vmm.bin,$(INJ)/vmm.bin)
IMAGE_GUEST := $(if $(filter $(INJECT),$(GUEST_CASES)),$(INJ)/$(INJECT).bin,$(B)/guest.bin)
# GUEST=chain: the chain loader instead (its header tells the VMM the mode),
# into an image of its own, so the default image stays the V86 demo.
ifeq ($(GUEST),chain)
IMAGE_GUEST := $(B)/chain-loader.bin
endif

$(IMG): $(HOSTB)/mkimage $(B)/stage1.bin $(B)/stage2.bin $(IMAGE_VMM) $(IMAGE_GUEST) $(B)/image-options
	$(HOSTB)/mkimage --stage1 $(B)/stage1.bin --stage2 $(B)/stage2.bin --vmm $(IMAGE_VMM) \
	  --guest $(IMAGE_GUEST) --out $@ --end-wait $(END_WAIT) --inject $(INJECT) --quiet

# The layout every time, read back from the image file, not from its inputs.
image: $(IMG) $(HOSTB)/inspect
	@$(HOSTB)/inspect $(IMG)

# The DMA probe's image (make dma-probe-build): the probe build's VMM, the
# demo's guest (never started: the probe ends the run first), no end-of-run
# wait (it runs in QEMU, whose PIT keeps real time).
DMA_PROBE_IMG := $(B)/vmxboot-dma-probe.img
$(DMA_PROBE_IMG): $(HOSTB)/mkimage $(B)/stage1.bin $(B)/stage2.bin $(PRB)/vmm.bin $(B)/guest.bin
	$(HOSTB)/mkimage --stage1 $(B)/stage1.bin --stage2 $(B)/stage2.bin --vmm $(PRB)/vmm.bin \
	  --guest $(B)/guest.bin --out $@ --end-wait 0 --quiet

dma-probe-build: $(DMA_PROBE_IMG)

# make inspect [IMG=<file> | DEV=/dev/sdX]: any vmxboot disk, opened
# read-only; exits non-zero naming the damaged region. Without either it
# builds and checks build/vmxboot.img.
inspect: $(HOSTB)/inspect $(if $(DEV)$(filter command line,$(origin IMG)),,$(IMG))
	@$(HOSTB)/inspect '$(or $(DEV),$(IMG))'

# ---------------------------------------------------------------- guest disks
# make disk2 KIND=mbr-empty|mbr-vbr|grub|linux: build/disk2-<kind>.img, a disk
# for chain mode to boot as its guest, from Debian's own boot code
# (tools/disk2). The linux kind's .debs are kept in DISK2_PACKAGES.
KIND      ?= grub
DISK2_VBR := $(B)/chain-vbr.bin
DISK2_PACKAGES := $(B)/disk2-packages

$(DISK2_VBR): guest/chain/vbr.asm | deps-build
	@mkdir -p $(@D)
	$(NASM) -f bin $< -o $@ -l $(B)/chain-vbr.lst

disk2: $(DISK2_VBR) | deps-disk2
	$(PYTHON) tools/disk2/mkdisk2.py --kind '$(KIND)' --vbr $(DISK2_VBR) --packages $(DISK2_PACKAGES) \
	  --out $(B)/disk2-$(KIND).img

# ---------------------------------------------------------------- USB stick
# make usb DEV=/dev/sdX [CONFIRM=sdX]: checks, asks, writes, verifies.
USB_WRITER := image/usb_writer.cpp
UNIT_SRCS  += $(USB_WRITER)
ifneq ($(filter usb,$(MAKECMDGOALS)),)
ifeq ($(DEV),)
$(error make usb needs the stick: make usb DEV=/dev/sdX (the whole disk, e.g. /dev/sdb); CONFIRM=sdX skips the question)
endif
endif
.PHONY: usb

$(HOSTB)/usb_write: $(call host_objs,image/usb_write.cpp $(USB_WRITER)) $(IMAGE_TOOL_OBJS)
	$(CXX) $^ -o $@

usb: $(IMG) $(HOSTB)/usb_write
	$(HOSTB)/usb_write --image $(IMG) --device '$(DEV)' $(if $(CONFIRM),--confirm '$(CONFIRM)')

# ---------------------------------------------------------------- run
# GUEST=chain attaches DISK2 (default: the grub disk of make disk2 KIND=grub)
# as the second disk, BIOS drive 0x81, in a machine that suits an operating
# system as the guest: 256 MiB, 50 million emulated instructions an emulated
# second (a Linux kernel calibrates its clocks against the HPET: at fewer a
# tick costs it too few instructions to get anywhere) and half an hour of
# wall time (a Linux boot is some 5.6 G instructions).
ifeq ($(GUEST),chain)
DISK2 ?= $(B)/disk2-grub.img
RUN_DISK2 := --disk2 $(DISK2) --megs 256 --ips 50000000 --timeout 1800
$(B)/disk2-grub.img: $(DISK2_VBR) | deps-disk2
	$(PYTHON) tools/disk2/mkdisk2.py --kind grub --vbr $(DISK2_VBR) --out $@
endif

run: $(IMG) $(if $(RUN_DISK2),$(DISK2)) | deps-test
	$(PYTHON) tools/bochs_boot.py --image $(IMG) --cpu $(CPU) --bios $(BIOS) --stream --show-vga \
	  $(RUN_DISK2) --expect-result $(or $(EXPECT),$(shell $(HOSTB)/mkimage --result-of $(INJECT)))

# The README's picture: the final VGA screen of a real Bochs run.
screenshot: $(IMG) | deps-test
	$(PYTHON) tools/bochs_boot.py --image $(IMG) --cpu $(CPU) --bios $(BIOS) --png docs/screen.png

# ---------------------------------------------------------------- tests
# One object per source, so that `make -j` builds them on every core; header
# dependencies come from -MMD.
UNIT_OBJS := $(patsubst %.cpp,$(HOSTB)/unit/%.o,$(UNIT_SRCS))

$(HOSTB)/unit/%.o: %.cpp | deps-build
	@mkdir -p $(@D)
	$(CXX) $(UNIT_CXXFLAGS) $(GTEST_PCH_FLAGS) -MMD -MP -c $< -o $@

# GoogleTest's header, parsed once: each test file spent some 2 s of its
# compile time on it. The test files take it first (-include) from a one-line
# header whose precompiled copy lies beside it; their own #include of it is
# then a no-op (its guard is set). Included from the system path, GoogleTest
# stays a system header: its own code raises no warnings.
GTEST_PCH := $(HOSTB)/pch/unit_gtest.h.gch
UNIT_TEST_OBJS := $(patsubst %.cpp,$(HOSTB)/unit/%.o,$(wildcard tests/unit/*.cpp))
$(UNIT_TEST_OBJS): GTEST_PCH_FLAGS := -include $(HOSTB)/pch/unit_gtest.h
$(UNIT_TEST_OBJS): $(GTEST_PCH)

$(GTEST_PCH): | deps-test
	@mkdir -p $(@D)
	echo '#include <gtest/gtest.h>' > $(@D)/unit_gtest.h
	$(CXX) $(UNIT_CXXFLAGS) -x c++-header $(@D)/unit_gtest.h -o $@

$(HOSTB)/unit_tests: $(UNIT_OBJS)
	$(CXX) $(UNIT_OBJS) -lgtest -lgtest_main -pthread -o $@

unit: $(HOSTB)/unit_tests $(HOSTB)/inspect $(B)/guest.bin $(B)/chain-loader.bin $(IMG) $(INJ)/vmm.bin \
  $(PRB)/vmm.bin
	VMXBOOT_GUEST_BIN=$(B)/guest.bin VMXBOOT_BUILD=$(B) $(HOSTB)/unit_tests

# Every test file in one process: their boots share one pool, one emulator
# per core (tools/boots.py); a file whose prerequisites are missing counts
# as an error and the others run (every count real).
INTEGRATION_TESTS := $(addprefix tests/integration/,test_boot.py test_chain.py test_guest_disks.py \
                       test_pci.py test_dma.py test_vtd.py \
                       test_apic.py)
integration: $(IMG) $(HOSTB)/mkimage $(DISK2_VBR) inject-build $(DMA_PROBE_IMG) | deps-test
	$(PYTHON) tools/parallel_unittest.py --build $(B) $(INTEGRATION_TESTS)

# Both halves run even when the first fails, so that every count is real.
# The build uses every core; the boots run one emulator per core. The wall
# time goes to build/test-time.txt for `make bench`.
NPROC := $(shell nproc 2>/dev/null || echo 1)
test: | deps-test
	@start=$$(date +%s); status=0; \
	$(MAKE) --no-print-directory -j$(NPROC) unit || status=1; \
	$(MAKE) --no-print-directory -j$(NPROC) integration || status=1; \
	mkdir -p $(B); \
	echo "seconds=$$(( $$(date +%s) - start )) cores=$(NPROC) status=$$status" \
	  "commit=$$(git rev-parse --short HEAD 2>/dev/null || echo none)" > $(B)/test-time.txt; \
	echo "make test: $$(( $$(date +%s) - start )) s on $(NPROC) cores"; \
	exit $$status

# The linux guest disk (make disk2 KIND=linux) built and booted natively and
# under the VMM, and the builder's refusals: not in make test, a boot takes
# minutes (tests/integration/test_linux.py).
test-linux: $(IMG) $(B)/chain-loader.bin $(HOSTB)/mkimage | deps-test deps-disk2
	$(PYTHON) tests/integration/test_linux.py --build $(B)

bench: $(IMG) $(B)/chain-loader.bin $(HOSTB)/mkimage | deps-test deps-disk2
	$(PYTHON) tools/bench.py --build $(B)

# ---------------------------------------------------------------- fuzzing
# tests/fuzz/README.md: target <name> is tests/fuzz/<name>_fuzz.cpp (the
# libFuzzer entry) over the project sources FUZZ_SRCS_<name>; each runs
# FUZZ_SECONDS on a copy of its corpus tests/fuzz/corpus/<name>/ (FUZZ_KEEP=1
# merges what it found back into the corpus, minimized).
FUZZ_TARGETS += image_header
FUZZ_SRCS_image_header := tests/fuzz/image_header.cpp image/image_check.cpp common/crc32c.cpp
FUZZ_TARGETS += guest_header
FUZZ_SRCS_guest_header := tests/fuzz/guest_header.cpp vmm/guests/guest_header_check.cpp \
  vmm/vmx/guest_state.cpp
FUZZ_TARGETS += acpi
FUZZ_SRCS_acpi := tests/fuzz/acpi.cpp common/acpi.cpp
FUZZ_TARGETS += dmar
FUZZ_SRCS_dmar := tests/fuzz/dmar.cpp vmm/vtd/dmar.cpp vmm/vtd/tables.cpp
FUZZ_TARGETS += high_ram
FUZZ_SRCS_high_ram := tests/fuzz/high_ram.cpp vmm/vtd/high_ram.cpp vmm/vtd/tables.cpp

FUZZ_SECONDS ?= 30
FUZZ_CXX     ?= clang++
FUZZ_FLAGS   := -std=c++20 -g -O1 $(WARN) -I. -Iabi -Iimage -Ivmm \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZB        := $(HOSTB)/fuzz

FUZZ_HDRS    := $(wildcard tests/fuzz/*.h abi/*.h image/*.h common/*.h vmm/ia32/*.h vmm/ia32/*/*.h vmm/vmx/*.h \
  vmm/vtd/*.h)

.SECONDEXPANSION:
$(FUZZB)/%_fuzz: tests/fuzz/%_fuzz.cpp $$(FUZZ_SRCS_$$*) $(FUZZ_HDRS) | deps-fuzz
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_FLAGS) $< $(FUZZ_SRCS_$*) -o $@

# Every target runs even when one finds something, so that each says so.
fuzz: $(foreach t,$(FUZZ_TARGETS),$(FUZZB)/$(t)_fuzz)
	@status=0; for t in $(FUZZ_TARGETS); do \
	  tools/run_fuzz.sh $$t $(FUZZB)/$${t}_fuzz $(FUZZ_SECONDS) $(FUZZ_KEEP) || status=1; \
	done; exit $$status

clean:
	rm -rf $(B)

FORCE:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
