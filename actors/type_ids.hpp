// The one CAF type-ID block of Agora. Forward declarations only: each message
// type is defined next to the code that owns it. Registering every type here
// keeps to_string/serialization working and is what remoting will need.
#pragma once

#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/type_id.hpp>

#include "actors/common/problem.hpp"

namespace agora::persistence {
struct event_row;
struct snapshot_row;
struct recovered;
struct append_request;
struct append_ack;
} // namespace agora::persistence

namespace agora::payment {
struct authorize;
struct capture;
struct void_authorization;
struct refund;
struct gateway_result;
struct get_ledger;
struct ledger;
} // namespace agora::payment

CAF_BEGIN_TYPE_ID_BLOCK(agora, caf::first_custom_type_id)

  CAF_ADD_TYPE_ID(agora, (agora::persistence::event_row))
  CAF_ADD_TYPE_ID(agora, (agora::persistence::snapshot_row))
  CAF_ADD_TYPE_ID(agora, (agora::persistence::recovered))
  CAF_ADD_TYPE_ID(agora, (agora::persistence::append_request))
  CAF_ADD_TYPE_ID(agora, (agora::persistence::append_ack))
  CAF_ADD_TYPE_ID(agora, (std::vector<agora::persistence::event_row>))
  CAF_ADD_TYPE_ID(agora, (agora::payment::authorize))
  CAF_ADD_TYPE_ID(agora, (agora::payment::capture))
  CAF_ADD_TYPE_ID(agora, (agora::payment::void_authorization))
  CAF_ADD_TYPE_ID(agora, (agora::payment::refund))
  CAF_ADD_TYPE_ID(agora, (agora::payment::gateway_result))
  CAF_ADD_TYPE_ID(agora, (agora::payment::get_ledger))
  CAF_ADD_TYPE_ID(agora, (agora::payment::ledger))

  // Atoms are limited to 10 characters in CAF 0.17.
  CAF_ADD_ATOM(agora, agora, append_atom, "append")
  CAF_ADD_ATOM(agora, agora, load_atom, "load")
  CAF_ADD_ATOM(agora, agora, snapshot_atom, "snapshot")
  CAF_ADD_ATOM(agora, agora, commit_atom, "commit")
  CAF_ADD_ATOM(agora, agora, tick_atom, "tick")
  CAF_ADD_ATOM(agora, agora, passivate_atom, "passivate")
  CAF_ADD_ATOM(agora, agora, stop_atom, "stop")
  CAF_ADD_ATOM(agora, agora, deadline_atom, "deadline")
  CAF_ADD_ATOM(agora, agora, query_atom, "query")
  CAF_ADD_ATOM(agora, agora, stats_atom, "stats")
  CAF_ADD_ATOM(agora, agora, revoke_atom, "revoke")
  CAF_ADD_ATOM(agora, agora, settle_atom, "settle")

CAF_END_TYPE_ID_BLOCK(agora)

CAF_ERROR_CODE_ENUM(agora::errc, "agora")
