// The CAF system configuration every Agora process and test uses: it
// registers the project's type-ID block.
#pragma once

#include <caf/actor_system_config.hpp>

namespace agora::runtime {

class system_config : public caf::actor_system_config {
public:
  system_config();
};

} // namespace agora::runtime
