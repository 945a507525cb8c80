// A set of strings that remembers only the newest `Capacity` entries: the
// idempotency memory of entities (applied command keys, finished reservation
// ids). Insertion order is kept so snapshots round-trip exactly. Each key is
// stored once: the index holds views of the strings in the order (a deque,
// whose elements stay where they are while others are added at the back and
// taken from the front). An inventory item holds two full sets of 10,000
// ids; with each key stored twice that was about 4.3 MB per item.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "actors/common/json.hpp"
#include "actors/common/problem.hpp"

namespace agora {

/// Longest idempotency key an entity command may carry (bytes).
inline constexpr size_t max_idempotency_key_length = 256;

/// 400 naming `idempotency_key` when `key` is longer than the limit.
inline std::optional<problem> check_idempotency_key(const std::string& key) {
  if (key.size() > max_idempotency_key_length)
    return invalid_field("idempotency_key", "idempotency_key must be at most 256 bytes");
  return std::nullopt;
}

template <size_t Capacity>
class recent_set {
public:
  static constexpr size_t capacity = Capacity;

  recent_set() = default;
  // A copy's index must view the copy's strings. A move keeps the deque's
  // elements where they are, so the moved index stays right.
  recent_set(const recent_set& other) : order_{other.order_} { reindex(); }
  recent_set(recent_set&&) noexcept = default;
  recent_set& operator=(const recent_set& other) {
    if (this != &other) {
      order_ = other.order_;
      reindex();
    }
    return *this;
  }
  recent_set& operator=(recent_set&&) noexcept = default;

  bool contains(std::string_view key) const { return index_.count(key) > 0; }

  /// Adds `key`, forgetting the oldest beyond Capacity; false (and no
  /// change) when it is present. The key is hashed once: stored first, and
  /// taken back in the rare case that it was there already.
  bool insert(std::string key) {
    order_.push_back(std::move(key));
    if (!index_.insert(order_.back()).second) {
      order_.pop_back();
      return false;
    }
    while (order_.size() > Capacity) {
      index_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }

  size_t size() const noexcept { return order_.size(); }
  const std::deque<std::string>& oldest_first() const noexcept { return order_; }

  /// `["oldest", ..., "newest"]`.
  json::array to_json() const {
    json::array out;
    out.reserve(order_.size());
    for (const auto& k : order_)
      out.emplace_back(k);
    return out;
  }

  /// Reads what to_json wrote; false for anything else (non-strings, empty
  /// strings, duplicates, more than Capacity entries).
  static bool from_json(const json::value& v, recent_set& out) {
    const auto* arr = v.if_array();
    if (!arr || arr->size() > Capacity)
      return false;
    recent_set result;
    for (const auto& item : *arr) {
      if (!item.is_string() || item.get_string().empty() ||
          !result.insert(std::string(item.get_string())))
        return false;
    }
    out = std::move(result);
    return true;
  }

  friend bool operator==(const recent_set& a, const recent_set& b) { return a.order_ == b.order_; }

private:
  void reindex() {
    index_.clear();
    index_.reserve(order_.size());
    for (const auto& k : order_)
      index_.insert(k);
  }

  std::deque<std::string> order_;
  std::unordered_set<std::string_view> index_;
};

} // namespace agora
