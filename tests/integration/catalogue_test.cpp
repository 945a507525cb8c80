// The catalogue read model: the projection from product/inventory events
// (exactly once, inventory before product, retirement) and the queries
// (full-text search with ranking, filters, sorts, keyset pagination,
// suggestions, categories, price book).
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

#include "actors/common/json.hpp"
#include "persistence/pg/tailer.hpp"
#include "persistence/projections/catalogue_projection.hpp"
#include "persistence/projections/catalogue_queries.hpp"
#include "tests/integration/support/actors.hpp"
#include "tests/integration/support/test_db.hpp"

using namespace agora;
using namespace agora::persistence;
using namespace agora::persistence::catalogue;

namespace {

/// Writes journal rows directly (the projection only reads the journal).
class event_writer {
public:
  explicit event_writer(test::test_database& db) : conn_(db.connect()) {}

  void write(const std::string& pid, const std::string& type, const json::object& payload) {
    auto seq = ++seqs_[pid];
    auto res = conn_->exec_params(
      "INSERT INTO journal (persistence_id, seq_nr, event_type, payload) VALUES ($1, $2, $3, $4)",
      {pid, std::to_string(seq), type, json::serialize(payload)});
    INFO(res.error().message);
    REQUIRE(res);
  }

  void product(const std::string& type, const std::string& sku, const std::string& name,
               const std::string& description, int64_t price, const std::string& category) {
    json::object p;
    p["sku"] = sku;
    p["name"] = name;
    p["description"] = description;
    p["price_cents"] = price;
    p["currency"] = "USD";
    p["category"] = category;
    p["attributes"] = json::object{{"color", "black"}};
    p["at"] = 1700000000000000 + seqs_["product|" + sku];
    write("product|" + sku, type, p);
  }

  void created(const std::string& sku, const std::string& name, const std::string& description,
               int64_t price, const std::string& category) {
    product("product.created", sku, name, description, price, category);
  }

  void inventory(const std::string& sku, const std::string& type, int64_t quantity,
                 int64_t on_hand = 0) {
    json::object p;
    if (type == "inventory.adjusted") {
      p["delta"] = quantity;
      p["reason"] = "restock";
      p["on_hand"] = on_hand;
    } else {
      p["reservation_id"] = "r-1";
      p["quantity"] = quantity;
      if (type == "inventory.reserved")
        p["expires_at"] = 1700000900000000;
    }
    p["at"] = 1700000000000000;
    write("inventory|" + sku, type, p);
  }

  int64_t seq(const std::string& pid) { return seqs_[pid]; }

  pg::connection& conn() { return *conn_; }

private:
  std::unique_ptr<pg::connection> conn_;
  std::map<std::string, int64_t> seqs_;
};

/// Waits until the projection has applied every product/inventory event.
void catch_up(test::test_system& ts, test::test_database& db,
              const catalogue_projection_actor& proj) {
  // The projection's offset passes events of other types as well.
  auto head = std::stoll(db.query("SELECT coalesce(max(global_offset), 0) FROM journal"));
  bool done = test::eventually([&] {
    auto off = test::ask<int64_t>(ts.sys, proj, stats_atom_v);
    return off && *off >= head;
  });
  REQUIRE(done);
}

list_request search(std::string q) {
  list_request req;
  req.q = std::move(q);
  return req;
}

std::vector<std::string> skus(const product_page& page) {
  std::vector<std::string> out;
  for (const auto& p : page.items)
    out.push_back(p.sku);
  return out;
}

/// Every page of a listing, following next_cursor.
std::vector<product_view> all_pages(pg::connection& conn, list_request req, size_t& pages) {
  std::vector<product_view> out;
  pages = 0;
  for (;;) {
    auto page = list_products(conn, req);
    INFO((page ? std::string{} : page.error().message));
    REQUIRE(page);
    ++pages;
    out.insert(out.end(), page->items.begin(), page->items.end());
    if (!page->next_cursor)
      return out;
    REQUIRE(page->items.size() == static_cast<size_t>(req.limit));
    req.cursor = *page->next_cursor;
    REQUIRE(pages < 100);
  }
}

} // namespace

TEST_CASE("the catalogue projection feeds search, filters, sorts, suggestions and categories",
          "[integration][catalogue]") {
  test::test_database db;
  test::test_system ts;
  auto cfg = db.make_config();
  event_writer w{db};
  w.created("A-1", "Apple iPhone 15 Pro", "Smartphone with a titanium body", 99900,
            "Electronics");
  w.created("A-2", "Wireless Charger", "Charges your iPhone without cables", 2999,
            "Electronics");
  w.created("B-1", "Running Shoes", "Light shoes for road running", 8999, "Sports");
  w.created("B-2", "Trail Running Shoes", "Shoes for running in mud", 12999, "Sports");
  w.created("C-1", "Coffee Mug", "A ceramic mug", 1299, "Kitchen");
  w.created("C-2", "coffee grinder", "Burr grinder", 4999, "kitchen");
  w.inventory("A-1", "inventory.adjusted", 10, 10);
  w.inventory("A-1", "inventory.reserved", 3);

  auto proj = spawn_catalogue_projection(ts.sys, cfg);
  test::stop_on_exit stop_proj{proj};
  auto queries = spawn_catalogue_queries(ts.sys, cfg);
  test::stop_on_exit stop_queries{queries};
  catch_up(ts, db, proj);
  auto& conn = w.conn();

  SECTION("full-text search ranks name matches above description matches") {
    auto page = test::ask<product_page>(ts.sys, queries, search("iphone"));
    REQUIRE(page);
    CHECK(skus(*page) == std::vector<std::string>{"A-1", "A-2"});
    CHECK_FALSE(page->next_cursor);
    const auto& a1 = page->items[0];
    CHECK(a1.name == "Apple iPhone 15 Pro");
    CHECK(a1.price_cents == 99900);
    CHECK(a1.currency == "USD");
    CHECK(a1.category == "Electronics");
    CHECK(a1.attributes_json == R"({"color": "black"})");
    CHECK(a1.available == 7);
    CHECK(a1.version == 1);
    CHECK(a1.updated_at_us == 1700000000000000);
    CHECK(page->items[1].available == 0); // no inventory yet
  }
  SECTION("every term must match") {
    auto both = list_products(conn, search("running shoes"));
    REQUIRE(both);
    auto found = skus(*both);
    CHECK(std::set<std::string>{"B-1", "B-2"} == std::set<std::string>(found.begin(), found.end()));
    auto mud = list_products(conn, search("running mud"));
    REQUIRE(mud);
    CHECK(skus(*mud) == std::vector<std::string>{"B-2"});
    auto none = list_products(conn, search("running coffee"));
    REQUIRE(none);
    CHECK(none->items.empty());
  }
  SECTION("category is exact and case-sensitive, prices are inclusive") {
    list_request req;
    req.category = "kitchen";
    auto page = list_products(conn, req);
    REQUIRE(page);
    CHECK(skus(*page) == std::vector<std::string>{"C-2"});
    req = list_request{};
    req.min_price = 2999;
    req.max_price = 8999;
    req.sort = "price_asc";
    page = list_products(conn, req);
    REQUIRE(page);
    CHECK(skus(*page) == std::vector<std::string>{"A-2", "C-2", "B-1"});
  }
  SECTION("sorts") {
    list_request req;
    auto by_name = list_products(conn, req); // default without q: name
    REQUIRE(by_name);
    CHECK(skus(*by_name)
          == std::vector<std::string>{"A-1", "C-2", "C-1", "B-1", "B-2", "A-2"});
    req.sort = "price_desc";
    auto desc = list_products(conn, req);
    REQUIRE(desc);
    CHECK(skus(*desc) == std::vector<std::string>{"A-1", "B-2", "B-1", "C-2", "A-2", "C-1"});
    req.sort = "sideways";
    auto bad = list_products(conn, req);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().details == R"({"field":"sort"})");
  }
  SECTION("suggestions match word starts, case-insensitively, best first") {
    auto s = test::ask<suggestions>(ts.sys, queries, suggest_request{"RUN", 10});
    REQUIRE(s);
    CHECK(s->names == std::vector<std::string>{"Running Shoes", "Trail Running Shoes"});
    auto iph = suggest_products(conn, suggest_request{"iph", 10});
    REQUIRE(iph);
    CHECK(iph->names == std::vector<std::string>{"Apple iPhone 15 Pro"});
    auto coffee = suggest_products(conn, suggest_request{"co", 10});
    REQUIRE(coffee);
    CHECK(coffee->names == std::vector<std::string>{"Coffee Mug", "coffee grinder"});
    auto limited = suggest_products(conn, suggest_request{"co", 1});
    REQUIRE(limited);
    CHECK(limited->names.size() == 1);
    auto inner = suggest_products(conn, suggest_request{"unning", 10}); // not a word start
    REQUIRE(inner);
    CHECK(inner->names.empty());
    auto wild = suggest_products(conn, suggest_request{"%", 10});
    REQUIRE(wild);
    CHECK(wild->names.empty());
  }
  SECTION("categories count listed products") {
    auto cats = test::ask<category_list>(ts.sys, queries, categories_request{});
    REQUIRE(cats);
    CHECK(cats->items
          == std::vector<category_count>{
            {"Electronics", 2}, {"Kitchen", 1}, {"Sports", 2}, {"kitchen", 1}});
  }
  SECTION("a tampered cursor is an invalid_request naming the cursor") {
    list_request req;
    req.cursor = "bm90LWEtY3Vyc29y";
    auto res = test::ask<product_page>(ts.sys, queries, req);
    REQUIRE_FALSE(res);
    auto p = to_problem(res.error());
    CHECK(p.code == errc::invalid_request);
    CHECK(p.details == R"({"field":"cursor"})");
  }
  SECTION("updates: patch, replace, retire, inventory flow") {
    json::object patch{{"price_cents", 1099}, {"at", 1700000000500000}};
    w.write("product|C-1", "product.patched", patch);
    w.product("product.replaced", "B-1", "Road Running Shoes", "Light shoes for road running",
              9499, "Sports");
    w.write("product|A-2", "product.retired", json::object{{"at", 1700000000600000}});
    w.inventory("A-1", "inventory.released", 1);
    w.inventory("A-1", "inventory.reserved", 2);
    w.inventory("A-1", "inventory.committed", 2);
    catch_up(ts, db, proj);

    list_request req;
    req.sort = "price_asc";
    auto page = list_products(conn, req);
    REQUIRE(page);
    CHECK(skus(*page) == std::vector<std::string>{"C-1", "C-2", "B-1", "B-2", "A-1"});
    CHECK(page->items[0].price_cents == 1099);
    CHECK(page->items[0].name == "Coffee Mug"); // unpatched fields stay
    CHECK(page->items[0].version == 2);
    CHECK(page->items[0].updated_at_us == 1700000000500000);
    CHECK(page->items[2].name == "Road Running Shoes");
    CHECK(page->items[4].available == 6); // on_hand 10-2, reserved 3-1+2-2
    CHECK(db.query("SELECT on_hand || '/' || reserved FROM catalogue_products "
                   "WHERE sku = 'A-1'")
          == "8/2");
    auto retired = list_products(conn, search("charger"));
    REQUIRE(retired);
    CHECK(retired->items.empty());
    auto cats = list_categories(conn);
    REQUIRE(cats);
    CHECK(cats->items[0] == category_count{"Electronics", 1});
    auto sug = suggest_products(conn, suggest_request{"wire", 10});
    REQUIRE(sug);
    CHECK(sug->names.empty());
    auto book = test::ask<price_book>(ts.sys, queries, price_book_request{});
    REQUIRE(book);
    REQUIRE(book->entries.size() == 6);
    CHECK(book->entries[1].sku == "A-2");
    CHECK_FALSE(book->entries[1].listed);
    CHECK(book->entries[0].price_cents == 99900);
    CHECK(book->entries[0].listed);
  }
}

TEST_CASE("inventory events before the product are kept until the product lists",
          "[integration][catalogue]") {
  test::test_database db;
  event_writer w{db};
  w.inventory("D-1", "inventory.adjusted", 10, 10);
  w.inventory("D-1", "inventory.reserved", 3);
  auto conn = db.connect();
  auto step = project_catalogue_once(*conn);
  REQUIRE(step);
  CHECK(step->applied == 2);
  auto page = list_products(*conn, list_request{});
  REQUIRE(page);
  CHECK(page->items.empty()); // not listed yet
  auto book = load_price_book(*conn);
  REQUIRE(book);
  CHECK(book->entries.empty()); // no product fields yet
  w.created("D-1", "Desk Lamp", "LED lamp", 3999, "Home");
  step = project_catalogue_once(*conn);
  REQUIRE(step);
  CHECK(step->applied == 1);
  page = list_products(*conn, list_request{});
  REQUIRE(page);
  REQUIRE(page->items.size() == 1);
  CHECK(page->items[0].available == 7);
  CHECK(page->items[0].name == "Desk Lamp");
}

TEST_CASE("the search vector follows name and description changes, not stock changes",
          "[integration][catalogue]") {
  test::test_database db;
  event_writer w{db};
  w.created("K-1", "Kettle", "Boils water fast", 3999, "Kitchen");
  w.inventory("K-1", "inventory.adjusted", 10, 10);
  auto conn = db.connect();
  REQUIRE(project_catalogue_once(*conn));
  auto vector = [&] { return db.query("SELECT search::text FROM catalogue_products"); };
  auto found = [&](const char* q) {
    auto page = list_products(*conn, search(q));
    REQUIRE(page);
    return page->items.size();
  };
  CHECK(found("kettle") == 1);
  CHECK(found("boils") == 1);
  auto before = vector();
  // Stock changes leave the vector as it was (it is not recomputed).
  w.inventory("K-1", "inventory.reserved", 2);
  w.inventory("K-1", "inventory.committed", 2);
  REQUIRE(project_catalogue_once(*conn));
  CHECK(vector() == before);
  CHECK(db.query("SELECT on_hand || '/' || reserved FROM catalogue_products") == "8/0");
  // A new description and a new name are searchable at once.
  w.write("product|K-1", "product.patched",
          json::object{{"description", "Steams milk"}, {"at", 1700000000500000}});
  REQUIRE(project_catalogue_once(*conn));
  CHECK(found("boils") == 0);
  CHECK(found("steams") == 1);
  CHECK(found("kettle") == 1);
  w.product("product.replaced", "K-1", "Milk Frother", "Steams milk", 4999, "Kitchen");
  REQUIRE(project_catalogue_once(*conn));
  CHECK(found("kettle") == 0);
  CHECK(found("frother") == 1);
  CHECK(vector() == db.query("SELECT (setweight(to_tsvector('english', 'Milk Frother'), 'A') || "
                             "setweight(to_tsvector('english', 'Steams milk'), 'B'))::text"));
}

TEST_CASE("a batch's stock changes add up as if applied one by one",
          "[integration][catalogue]") {
  test::test_database db;
  event_writer w{db};
  w.created("S-1", "Lamp", "A lamp", 1000, "Home");
  w.created("S-2", "Desk", "A desk", 9000, "Home");
  // Deltas of two SKUs interleaved with an absolute level (adjusted) and a
  // product change in one batch: the summed deltas must respect the order.
  w.inventory("S-1", "inventory.adjusted", 10, 10);
  w.inventory("S-1", "inventory.reserved", 4);
  w.inventory("S-2", "inventory.adjusted", 5, 5);
  w.inventory("S-2", "inventory.reserved", 2);
  w.inventory("S-1", "inventory.committed", 4);  // on_hand 6, reserved 0
  w.inventory("S-1", "inventory.adjusted", 3, 9); // on_hand 9 (absolute)
  w.product("product.replaced", "S-1", "Lamp II", "A better lamp", 1200, "Home");
  w.inventory("S-1", "inventory.reserved", 2);    // reserved 2
  w.inventory("S-2", "inventory.released", 2);    // reserved 0
  w.inventory("S-2", "inventory.reserved", 1);    // reserved 1
  auto conn = db.connect();
  auto step = project_catalogue_once(*conn);
  REQUIRE(step);
  CHECK(step->applied == 12);
  auto levels = conn->exec("SELECT sku, on_hand, reserved FROM catalogue_products ORDER BY sku");
  REQUIRE(levels);
  REQUIRE(levels.rows() == 2);
  CHECK(levels.int64(0, 1) == 9);
  CHECK(levels.int64(0, 2) == 2);
  CHECK(levels.int64(1, 1) == 5);
  CHECK(levels.int64(1, 2) == 1);
}

TEST_CASE("the projection applies every event exactly once across restarts",
          "[integration][catalogue]") {
  test::test_database db;
  test::test_system ts;
  auto cfg = db.make_config();
  event_writer w{db};
  w.created("E-1", "Espresso Cup", "Small cup", 899, "Kitchen");
  for (int i = 0; i < 30; ++i)
    w.inventory("E-1", "inventory.reserved", 1);
  // Events of other entity types are not read by this projection.
  w.write("cart|c1", "cart.item_added", json::object{{"sku", "E-1"}});
  {
    auto proj = spawn_catalogue_projection(ts.sys, cfg);
    test::stop_on_exit stop{proj};
    catch_up(ts, db, proj);
  }
  CHECK(db.query("SELECT reserved FROM catalogue_products WHERE sku = 'E-1'") == "30");
  // The stored offset passes the cart event too, so it is not scanned again.
  auto head = db.query("SELECT max(global_offset) FROM journal");
  CHECK(db.query("SELECT last_offset FROM projection_offsets WHERE name = 'catalogue'") == head);

  for (int i = 0; i < 5; ++i)
    w.inventory("E-1", "inventory.released", 1);
  {
    // A restarted projection continues after the stored offset; a second
    // one running at the same time never applies a batch twice.
    auto p1 = spawn_catalogue_projection(ts.sys, cfg);
    test::stop_on_exit stop1{p1};
    auto p2 = spawn_catalogue_projection(ts.sys, cfg);
    test::stop_on_exit stop2{p2};
    catch_up(ts, db, p1);
    catch_up(ts, db, p2);
  }
  CHECK(db.query("SELECT reserved FROM catalogue_products WHERE sku = 'E-1'") == "25");
  CHECK(db.query("SELECT version FROM catalogue_products WHERE sku = 'E-1'") == "1");
  // Nothing left to apply.
  auto conn = db.connect();
  auto step = project_catalogue_once(*conn);
  REQUIRE(step);
  CHECK(step->applied == 0);
}

TEST_CASE("a malformed event is skipped instead of blocking the projection",
          "[integration][catalogue]") {
  test::test_database db;
  event_writer w{db};
  w.created("F-1", "Fan", "Quiet fan", 2500, "Home");
  w.write("inventory|F-1", "inventory.reserved", json::object{{"no_quantity", true}});
  w.write("product|F-2", "product.created", json::object{{"name", "No price"},
                                                         {"price_cents", "lots"}});
  w.created("F-3", "Fridge", "Cold", 50000, "Home");
  auto conn = db.connect();
  auto step = project_catalogue_once(*conn);
  REQUIRE(step);
  auto page = list_products(*conn, list_request{});
  REQUIRE(page);
  CHECK(skus(*page) == std::vector<std::string>{"F-1", "F-3"});
  auto head = journal_head(*conn);
  REQUIRE(head);
  CHECK(step->offset == *head);
}

TEST_CASE("paging through every sort returns each listed product exactly once",
          "[integration][catalogue]") {
  test::test_database db;
  event_writer w{db};
  // 40 products with repeated prices and names (ties need the SKU
  // tie-break), every one matching "widget" with different relevance.
  std::set<std::string> listed;
  for (int i = 0; i < 40; ++i) {
    auto sku = "W-" + std::to_string(100 + i);
    std::string name = i % 5 == 0 ? "Widget" : "Gadget " + std::to_string(i % 7);
    std::string description = "a widget";
    for (int k = 0; k < i % 4; ++k)
      description += " widget";
    w.created(sku, name, description, 1000 + (i % 6) * 250, i % 2 == 0 ? "Even" : "Odd");
    listed.insert(sku);
  }
  w.write("product|W-103", "product.retired", json::object{{"at", 1}});
  listed.erase("W-103");
  auto conn = db.connect();
  REQUIRE(project_catalogue_once(*conn));

  for (auto sort : {"relevance", "price_asc", "price_desc", "name"}) {
    INFO("sort " << sort);
    list_request req;
    req.q = "widget";
    req.sort = sort;
    req.limit = 7;
    size_t pages = 0;
    auto items = all_pages(*conn, req, pages);
    CHECK(pages > 3);
    std::vector<std::string> got;
    for (const auto& p : items)
      got.push_back(p.sku);
    std::multiset<std::string> seen(got.begin(), got.end());
    CHECK(seen.size() == listed.size());
    CHECK(std::set<std::string>(got.begin(), got.end()) == listed);
    // The concatenated pages are in sort order.
    for (size_t i = 1; i < items.size(); ++i) {
      const auto& a = items[i - 1];
      const auto& b = items[i];
      if (std::string{sort} == "price_asc")
        CHECK(std::tie(a.price_cents, a.sku) < std::tie(b.price_cents, b.sku));
      else if (std::string{sort} == "price_desc")
        CHECK((a.price_cents > b.price_cents
               || (a.price_cents == b.price_cents && a.sku < b.sku)));
    }
    // The same listing in one page is the same sequence.
    req.limit = 200;
    auto one = list_products(*conn, req);
    REQUIRE(one);
    CHECK(skus(*one) == got);
  }
  // Filters hold across pages too.
  list_request odd;
  odd.category = "Odd";
  odd.min_price = 1250;
  odd.limit = 3;
  size_t pages = 0;
  auto items = all_pages(*conn, odd, pages);
  CHECK(pages >= 3);
  for (const auto& p : items) {
    CHECK(p.category == "Odd");
    CHECK(p.price_cents >= 1250);
  }
}
