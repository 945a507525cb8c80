#include "net/api/read_cache.hpp"

#include <algorithm>

namespace agora::net::api {

read_cache::read_cache(std::chrono::milliseconds ttl, std::size_t max_entries)
  : ttl_(ttl), max_entries_(std::max<std::size_t>(1, max_entries)) {}

std::optional<std::string> read_cache::find(const std::string& key, clock::time_point now) {
  if (ttl_.count() <= 0)
    return std::nullopt;
  std::lock_guard guard{mtx_};
  auto i = entries_.find(key);
  if (i == entries_.end())
    return std::nullopt;
  if (i->second.expires <= now) {
    entries_.erase(i);
    return std::nullopt;
  }
  return i->second.body;
}

void read_cache::store(std::string key, std::string body, clock::time_point now) {
  if (ttl_.count() <= 0)
    return;
  std::lock_guard guard{mtx_};
  if (entries_.size() >= max_entries_ && !entries_.contains(key)) {
    std::erase_if(entries_, [now](const auto& kv) { return kv.second.expires <= now; });
    if (entries_.size() >= max_entries_)
      entries_.clear();
  }
  entries_.insert_or_assign(std::move(key), entry{std::move(body), now + ttl_});
}

std::string read_cache::key(std::initializer_list<std::string_view> parts) {
  std::string k;
  for (auto part : parts) {
    k += std::to_string(part.size());
    k += ':';
    k += part;
  }
  return k;
}

std::size_t read_cache::size() const {
  std::lock_guard guard{mtx_};
  return entries_.size();
}

} // namespace agora::net::api
