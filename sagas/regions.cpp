// The checkout saga's shard region, instantiated once (as actors/runtime/regions.cpp
// does for the other entity types).
#include "actors/runtime/entity_shell.hpp"

#include "sagas/checkout.hpp"

template class agora::runtime::region_ref<agora::checkout::checkout_traits>;
template agora::runtime::region_ref<agora::checkout::checkout_traits>
agora::runtime::spawn_region<agora::checkout::checkout_traits>(
  caf::actor_system&, agora::persistence::journal_actor, agora::runtime::region_settings,
  agora::runtime::change_hook<agora::checkout::checkout_traits>);
