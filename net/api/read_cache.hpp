// Rendered answers of the catalogue read model (product list and search,
// suggestions, categories), kept for a short time. A shop's front page asks
// the same few lists over and over, and each answer otherwise costs a query
// actor, a PostgreSQL round trip and a render. The read model is already
// behind the journal by up to one projection poll; the cache adds at most
// its time to live to that (API.md allows one second in all).
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agora::net::api {

class read_cache {
public:
  using clock = std::chrono::steady_clock;

  /// `ttl` 0 keeps nothing. At most `max_entries` answers are kept.
  explicit read_cache(std::chrono::milliseconds ttl, std::size_t max_entries = 4096);

  /// The body stored under `key`, while it is younger than the time to live.
  std::optional<std::string> find(const std::string& key, clock::time_point now = clock::now());

  /// Keeps `body` under `key` until `now` + the time to live. When full, the
  /// expired entries go first, then all of them.
  void store(std::string key, std::string body, clock::time_point now = clock::now());

  std::size_t size() const;

  /// A key made of `parts`, each prefixed with its length, so no choice of
  /// parts (a query's text may hold any byte) can spell another's key.
  static std::string key(std::initializer_list<std::string_view> parts);

private:
  struct entry {
    std::string body;
    clock::time_point expires;
  };

  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, entry> entries_;
};

} // namespace agora::net::api
