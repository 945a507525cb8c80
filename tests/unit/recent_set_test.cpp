// The idempotency memory of entities: the newest Capacity keys, in order,
// each stored once (the index views the ordered strings).
#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "actors/common/recent_set.hpp"

using namespace agora;

namespace {

/// Long enough to live on the heap, not in the string object.
std::string key(int i) {
  return "checkout-" + std::to_string(i) + "-0123456789abcdef0123456789abcdef/reserve_inventory";
}

} // namespace

TEST_CASE("a recent set forgets the oldest keys beyond its capacity", "[recent_set]") {
  recent_set<3> s;
  for (int i = 0; i < 5; ++i)
    CHECK(s.insert(key(i)));
  CHECK_FALSE(s.insert(key(4))); // present: nothing changes
  CHECK_FALSE(s.insert(key(2))); // the oldest, in a full set: nothing is forgotten
  CHECK(s.oldest_first() == std::deque<std::string>{key(2), key(3), key(4)});
  CHECK(s.insert("k")); // short keys too
  CHECK(s.size() == 3);
  CHECK_FALSE(s.contains(key(2)));
  CHECK(s.contains(key(3)));
  CHECK(s.contains(key(4)));
  CHECK(s.contains("k"));
  CHECK(s.oldest_first() == std::deque<std::string>{key(3), key(4), "k"});
}

TEST_CASE("a copy of a recent set answers from its own keys", "[recent_set]") {
  auto original = std::make_unique<recent_set<4>>();
  for (int i = 0; i < 4; ++i)
    original->insert(key(i));
  original->insert("x");
  recent_set<4> copied{*original};
  recent_set<4> assigned;
  assigned.insert(key(99));
  assigned = *original;
  original->insert(key(10)); // evicts key(1) from the original only
  CHECK(copied.contains(key(1)));
  CHECK_FALSE(original->contains(key(1)));
  original.reset(); // a copy's index that viewed the original's strings would dangle now
  for (auto* s : {&copied, &assigned}) {
    CHECK(s->size() == 4);
    CHECK(s->contains(key(1)));
    CHECK(s->contains("x"));
    CHECK_FALSE(s->contains(key(0)));
    CHECK_FALSE(s->contains(key(99)));
    s->insert(key(11)); // evicts key(1) through the index
    CHECK_FALSE(s->contains(key(1)));
    CHECK(s->size() == 4);
  }
}

TEST_CASE("a moved recent set keeps its keys and its order", "[recent_set]") {
  recent_set<3> a;
  for (int i = 0; i < 3; ++i)
    a.insert(key(i));
  recent_set<3> b{std::move(a)};
  recent_set<3> c;
  c = std::move(b);
  CHECK(c.contains(key(0)));
  c.insert(key(3));
  CHECK_FALSE(c.contains(key(0)));
  CHECK(c.oldest_first() == std::deque<std::string>{key(1), key(2), key(3)});
}

TEST_CASE("a recent set round-trips through its JSON, and refuses what it did not write",
          "[recent_set]") {
  recent_set<3> s;
  for (int i = 0; i < 4; ++i)
    s.insert(key(i));
  recent_set<3> back;
  REQUIRE(recent_set<3>::from_json(json::value(s.to_json()), back));
  CHECK(back == s);
  CHECK(back.contains(key(3)));
  CHECK_FALSE(back.contains(key(0)));
  recent_set<3> untouched = s;
  for (const char* bad : {R"(["a","a"])", R"(["a",""])", R"(["a",1])", R"(["a","b","c","d"])",
                          R"({"a":1})"}) {
    INFO(bad);
    auto v = parse_json(bad);
    REQUIRE(v);
    CHECK_FALSE(recent_set<3>::from_json(*v, untouched));
    CHECK(untouched == s);
  }
}
