#include "net/auth/revocations.hpp"

#include "actors/common/time.hpp"

namespace agora::net::auth {

void revocation_list::revoke(const std::string& token_id, int64_t expires_at_us,
                             std::function<void(bool)> done) {
  restore(token_id, expires_at_us);
  if (persist_)
    persist_(token_id, expires_at_us, std::move(done));
  else
    done(true);
}

void revocation_list::restore(const std::string& token_id, int64_t expires_at_us) {
  auto now = now_us();
  std::lock_guard guard{mtx_};
  if (expires_at_us > now)
    revoked_[token_id] = expires_at_us;
  purge_locked(now);
}

bool revocation_list::is_revoked(std::string_view token_id) const {
  std::lock_guard guard{mtx_};
  return revoked_.count(std::string(token_id)) > 0;
}

size_t revocation_list::size() const {
  std::lock_guard guard{mtx_};
  return revoked_.size();
}

void revocation_list::purge_locked(int64_t now) {
  if (now < next_purge_)
    return;
  next_purge_ = now + 60'000'000;
  for (auto i = revoked_.begin(); i != revoked_.end();)
    i = i->second <= now ? revoked_.erase(i) : std::next(i);
}

} // namespace agora::net::auth
