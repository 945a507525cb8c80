// Revoked tokens (logout). Checked on every authenticated request, so the
// set lives in memory; entries disappear once the token would have expired
// anyway. A persistence hook stores each revocation durably so that a
// restarted node still refuses the token (see net/README.md).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agora::net::auth {

class revocation_list {
public:
  /// Stores a revocation durably (token id, expiry in µs) and reports
  /// whether it did.
  using persist_fn =
    std::function<void(const std::string&, int64_t, std::function<void(bool)> done)>;

  void set_persist(persist_fn fn) { persist_ = std::move(fn); }

  /// Revokes `token_id` until `expires_at_us`: at once in memory, and
  /// durably before `done(true)` (done(false) when the store failed; the
  /// token stays refused on this node anyway).
  void revoke(const std::string& token_id, int64_t expires_at_us,
              std::function<void(bool)> done);

  /// Loads a revocation without persisting it again (start-up).
  void restore(const std::string& token_id, int64_t expires_at_us);

  bool is_revoked(std::string_view token_id) const;

  size_t size() const;

private:
  void purge_locked(int64_t now);

  mutable std::mutex mtx_;
  std::unordered_map<std::string, int64_t> revoked_;
  int64_t next_purge_ = 0;
  persist_fn persist_;
};

} // namespace agora::net::auth
