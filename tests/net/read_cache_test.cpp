// The read cache of catalogue answers (net/api/read_cache.hpp): fresh hits,
// expiry, the bound on entries, and turned off.
#include <catch2/catch.hpp>

#include "net/api/read_cache.hpp"

using namespace agora::net::api;
using namespace std::chrono_literals;

TEST_CASE("the read cache answers with a body until its time to live has passed",
          "[net][read_cache]") {
  read_cache cache{250ms};
  auto t0 = read_cache::clock::now();
  CHECK_FALSE(cache.find("list", t0));
  cache.store("list", R"({"items":[]})", t0);
  CHECK(cache.find("list", t0) == R"({"items":[]})");
  CHECK(cache.find("list", t0 + 249ms) == R"({"items":[]})");
  CHECK_FALSE(cache.find("other", t0));
  // Expired: gone, and removed.
  CHECK_FALSE(cache.find("list", t0 + 250ms));
  CHECK(cache.size() == 0);
  // A newer answer replaces the older one and lives from its own store.
  cache.store("list", "a", t0);
  cache.store("list", "b", t0 + 200ms);
  CHECK(cache.find("list", t0 + 400ms) == "b");
}

TEST_CASE("the read cache keeps at most its bound of entries", "[net][read_cache]") {
  read_cache cache{1000ms, 3};
  auto t0 = read_cache::clock::now();
  cache.store("a", "1", t0);
  cache.store("b", "2", t0 + 600ms);
  cache.store("c", "3", t0 + 600ms);
  // Full: the expired entry ("a" at t0 + 1100 ms) makes room.
  cache.store("d", "4", t0 + 1100ms);
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.find("a", t0 + 1100ms));
  CHECK(cache.find("d", t0 + 1100ms) == "4");
  // Full with nothing expired: everything goes, then the new entry.
  cache.store("e", "5", t0 + 1100ms);
  CHECK(cache.size() == 1);
  CHECK(cache.find("e", t0 + 1100ms) == "5");
  // Replacing a key never evicts.
  cache.store("f", "6", t0 + 1100ms);
  cache.store("g", "7", t0 + 1100ms);
  cache.store("g", "8", t0 + 1100ms);
  CHECK(cache.size() == 3);
}

TEST_CASE("a read cache with no time to live keeps nothing", "[net][read_cache]") {
  read_cache cache{0ms};
  cache.store("list", "body");
  CHECK_FALSE(cache.find("list"));
  CHECK(cache.size() == 0);
}

TEST_CASE("read cache keys cannot be spelled by other parts", "[net][read_cache]") {
  using k = read_cache;
  CHECK(k::key({"list", "a", "b"}) != k::key({"list", "ab", ""}));
  CHECK(k::key({"list", "a:b", ""}) != k::key({"list", "a", "b"}));
  CHECK(k::key({"list", "1:x"}) != k::key({"list", "", "x"}));
  CHECK(k::key({"list", "a", "b"}) == k::key({"list", "a", "b"}));
  CHECK(k::key({"categories"}) != k::key({"categories", ""}));
}
