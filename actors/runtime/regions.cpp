// The shard regions of Agora's entity types, instantiated once here so that
// callers only include the light region.hpp.
#include "actors/runtime/entity_shell.hpp"

#include "actors/cart/cart.hpp"
#include "actors/customer/customer.hpp"
#include "actors/inventory/inventory.hpp"
#include "actors/order/order.hpp"
#include "actors/payment/payment.hpp"
#include "actors/product/product.hpp"

// (sagas/regions.cpp does the same for the checkout saga.)
#define AGORA_INSTANTIATE_REGION(traits)                                                   \
  template class agora::runtime::region_ref<traits>;                                       \
  template agora::runtime::region_ref<traits> agora::runtime::spawn_region<traits>(        \
    caf::actor_system&, agora::persistence::journal_actor, agora::runtime::region_settings, \
    agora::runtime::change_hook<traits>);

AGORA_INSTANTIATE_REGION(agora::product::product_traits)
AGORA_INSTANTIATE_REGION(agora::inventory::inventory_traits)
AGORA_INSTANTIATE_REGION(agora::cart::cart_traits)
AGORA_INSTANTIATE_REGION(agora::customer::customer_traits)
AGORA_INSTANTIATE_REGION(agora::order::order_traits)
AGORA_INSTANTIATE_REGION(agora::payment::payment_traits)
