// Actor helpers of the integration tests.
#pragma once

#include <chrono>
#include <vector>

#include <caf/all.hpp>

namespace agora::test {

/// Sends an exit message to an actor when the scope ends, so the actor
/// system can shut down (broker actors are linked to their workers).
template <class Handle>
struct stop_on_exit {
  Handle hdl;
  ~stop_on_exit() {
    caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
  }
};

template <class Handle>
stop_on_exit(Handle) -> stop_on_exit<Handle>;

/// Sends `(atm, msg)` for every message in `msgs` to `dest` before waiting
/// for any reply (so they arrive together), then collects the replies in
/// request order.
template <class Reply, class Handle, class Atom, class Message>
std::vector<caf::expected<Reply>> request_all(caf::actor_system& sys, const Handle& dest,
                                              Atom atm, const std::vector<Message>& msgs,
                                              caf::timespan timeout = std::chrono::seconds(20)) {
  caf::scoped_actor self{sys};
  std::vector<caf::expected<Reply>> out(msgs.size(), caf::expected<Reply>{caf::sec::none});
  using handle_type = decltype(self->request(dest, timeout, atm, msgs.front()));
  std::vector<handle_type> pending;
  pending.reserve(msgs.size());
  for (const auto& m : msgs)
    pending.push_back(self->request(dest, timeout, atm, m));
  for (size_t i = 0; i < pending.size(); ++i)
    pending[i].receive([&](Reply& r) { out[i] = std::move(r); },
                       [&](caf::error& e) { out[i] = std::move(e); });
  return out;
}

/// One request, waiting at most `timeout`.
template <class Reply, class Handle, class... Ts>
caf::expected<Reply> ask(caf::actor_system& sys, const Handle& dest, Ts&&... xs) {
  caf::scoped_actor self{sys};
  caf::expected<Reply> out{caf::sec::none};
  self->request(dest, std::chrono::seconds(20), std::forward<Ts>(xs)...)
    .receive([&](Reply& r) { out = std::move(r); }, [&](caf::error& e) { out = std::move(e); });
  return out;
}

} // namespace agora::test
