// Password hashing: bcrypt (`$2b$`, libxcrypt) on a small dedicated thread
// pool, because one hash costs ~160 ms at cost 10 and must never run on a CAF
// scheduler thread or a Beast I/O thread. Callbacks run on a pool thread: a
// handler posts its reply through its responder from there.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace agora::net::auth {

/// A fixed pool of hashing threads with a FIFO queue.
class password_hasher {
public:
  /// `cost` is the bcrypt work factor (4–31; the contract wants >= 10);
  /// `threads` >= 1. Throws std::invalid_argument for a bad cost.
  password_hasher(int cost, size_t threads);
  /// Finishes the queued jobs, then joins the threads.
  ~password_hasher();
  password_hasher(const password_hasher&) = delete;
  password_hasher& operator=(const password_hasher&) = delete;

  /// Hashes `password` with a fresh salt; `done` gets the `$2b$...` text, or
  /// nullopt when the password cannot be hashed (it contains a NUL byte).
  void hash(std::string password, std::function<void(std::optional<std::string>)> done);

  /// Checks `password` against `stored_hash` in constant time. An empty or
  /// unusable `stored_hash` (unknown account) is checked against a dummy hash
  /// and fails, taking as long as a real check (no account probing by timing).
  void verify(std::string password, std::string stored_hash, std::function<void(bool)> done);

  /// Jobs waiting or running (for metrics and tests).
  size_t pending() const;

  // -- blocking primitives (pool threads, start-up code, tests) --------------

  /// Hashes on the calling thread.
  static std::optional<std::string> hash_blocking(std::string_view password, int cost);

  /// Verifies on the calling thread.
  static bool verify_blocking(std::string_view password, std::string_view stored_hash);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace agora::net::auth
