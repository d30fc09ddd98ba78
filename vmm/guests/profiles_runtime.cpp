// Every guest profile the VMM has, by the kind a guest header names.
#include "guests/profile.h"

#include "guest_header.h"

namespace guests {

namespace v86_demo {
extern const GuestProfile profile;
}
namespace bios_chain {
extern const GuestProfile profile;
}

const GuestProfile& profile_for(uint16_t kind) {
  return kind == layout::GUEST_KIND_CHAIN ? bios_chain::profile : v86_demo::profile;
}

}  // namespace guests
