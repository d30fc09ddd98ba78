// The DMA probe (`make dma-probe-build`, docs/platform.md, "DMA remapping"): a test
// build of the VMM that shows DMA remapping at work where there is no VMX
// (QEMU with `-machine q35 -device intel-iommu -device edu`). Before the
// VMX check it programs DMA remapping as the main line does
// (vtd/remap.h), then aims a DMA engine, QEMU's `edu` device, at ordinary
// memory (the bytes must arrive) and at the VMM's memory and its
// remapping tables (the bytes there must stay as they were, the unit must
// record the faults), prints each fault record, and ends the run:
//   result=dma-blocked         every DMA into the VMM's memory was blocked
//                              and faulted, every other one arrived
//   result=dma-reached-vmm     a device wrote the VMM's memory
//   result=dma-probe-failed    no remapping, no edu device, a DMA that did
//                              not finish or did not arrive (step=)
//
// Only the probe build (build/dma-probe/vmm.bin, -DVMXBOOT_DMA_PROBE) has
// it; the normal VMM holds no probe code (tests/unit/injection_build_test.cpp).
#pragma once

struct Machine;

namespace vtd::dma_probe {

#ifdef VMXBOOT_DMA_PROBE
[[noreturn]] void before_vmx_check(Machine& machine);
#else
inline void before_vmx_check(Machine&) {}
#endif

}  // namespace vtd::dma_probe
