#include "vmx/vmcs_image.h"

namespace vmx {

uint64_t machine_value(const VmcsImage& image, const MachineEntry& entry) {
  const unsigned char* where = reinterpret_cast<const unsigned char*>(&image) + entry.offset;
  switch (entry.bytes) {
    case 2: return *reinterpret_cast<const uint16_t*>(where);
    case 4: return *reinterpret_cast<const uint32_t*>(where);
    case 8: return *reinterpret_cast<const uint64_t*>(where);
  }
  return 0;
}

bool machine_entry_applies(const VmcsImage& image, const MachineEntry& entry) {
  if (entry.condition.mask == 0) return true;
  return (image.controls.words[entry.condition.word] & entry.condition.mask) != 0;
}

MachineWriteResult write_machine(const VmcsImage& image, VmcsWriter writer) {
  MachineWriteResult result{true, nullptr, 0};
  for (const MachineEntry& entry : machine) {
    if (!machine_entry_applies(image, entry)) continue;
    if (!writer.write(writer.context, ia32::vmx::encoding(entry.field),
                      machine_value(image, entry))) {
      result.ok = false;
      result.failed = &entry;
      return result;
    }
    ++result.written;
  }
  return result;
}

}  // namespace vmx
