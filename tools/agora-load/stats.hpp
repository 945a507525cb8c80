// What a run measures, per worker thread (no locks: each io_context has its
// own run_stats, merged at the end), and the pure helpers of the journeys:
// request labels, how an answer counts (success, business outcome, error),
// error codes from error bodies, SKU picking.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "tools/agora-load/histogram.hpp"

namespace agora::load {

/// One request type, e.g. "POST /carts/{id}/checkout".
struct request_stats {
  histogram latency;
  /// Answers by HTTP status; 0 = no answer (connect/read failure, timeout).
  std::map<int, uint64_t> statuses;
};

/// How a journey ended.
enum class outcome {
  ok,
  /// The shop said no for a business reason the load expects (422
  /// out_of_stock): counted, not an error.
  business,
  error
};

const char* to_string(outcome o);

/// One journey type; latency only of journeys that ended ok.
struct journey_stats {
  histogram latency;
  /// By outcome name: "ok", "out_of_stock", "error".
  std::map<std::string, uint64_t, std::less<>> outcomes;
  uint64_t count(std::string_view name) const;
};

/// A checkout that succeeded (or whose outcome the run did not learn), for
/// the end-of-run verification.
struct checkout_record {
  std::string checkout_id;
  std::string order_id;
  /// Index of the registered customer, -1 for a guest.
  int customer = -1;
  std::string cart_id;
  /// SKU and quantity of each line of the cart checked out.
  std::vector<std::pair<std::string, int>> lines;
};

struct error_key {
  std::string request;
  /// 0 for a transport failure (code then says which).
  int status = 0;
  std::string code;
  auto operator<=>(const error_key&) const = default;
};

/// An error_key to count by without building one: a request counts its
/// answer on every call, and a key is built only the first time it is seen.
struct error_key_ref {
  std::string_view request;
  int status = 0;
  std::string_view code;
};

/// Orders error_key and error_key_ref alike (as error_key's own order).
struct error_key_less {
  using is_transparent = void;
  using view = std::tuple<std::string_view, int, std::string_view>;
  static view of(const error_key& k) { return {k.request, k.status, k.code}; }
  static view of(const error_key_ref& k) { return {k.request, k.status, k.code}; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return of(a) < of(b);
  }
};

using error_counts = std::map<error_key, uint64_t, error_key_less>;

/// Adds one to the count of `k`.
void count(error_counts& counts, const error_key_ref& k);

/// The entry of `m` named `name`, made on first use (a lookup by a label
/// allocates nothing).
template <class T>
T& entry(std::map<std::string, T, std::less<>>& m, std::string_view name) {
  auto it = m.find(name);
  if (it == m.end())
    it = m.emplace(std::string(name), T{}).first;
  return it->second;
}

struct run_stats {
  std::map<std::string, request_stats, std::less<>> requests;
  std::map<std::string, journey_stats, std::less<>> journeys;
  error_counts errors;
  /// Business outcomes by request and code (e.g. checkout 422 out_of_stock).
  error_counts business;
  /// Every successful checkout of the run (warm-up included), recorded as
  /// its success arrives (also when the journey fails afterwards).
  std::vector<checkout_record> checkouts;
  /// Checkouts whose POST was sent but whose outcome never arrived (no
  /// answer, a 5xx, a poll cut off by the end of the run): they may have
  /// placed an order and taken stock. Their cart says at the end.
  std::vector<checkout_record> unresolved;
  /// flash-sale: the answer of each refused checkout (its body and the
  /// customer's index, -1 for a guest), read after the race for the node's
  /// record of the refusal.
  std::vector<std::pair<std::string, int>> refusals;

  void merge(const run_stats& other);
  uint64_t total_requests() const;
  uint64_t total_errors() const;
};

/// How an answer counts: `expected` is the success status of the request.
/// 422 out_of_stock is a business outcome; anything else unexpected is an
/// error.
outcome classify(int status, std::string_view code, int expected);

/// error.code of an API error body ("" when there is none).
std::string error_code(std::string_view body);

/// A top-level string field of a JSON object body ("" when absent or not a
/// string, or when the body is not a JSON object).
std::string string_field(std::string_view body, std::string_view key);

/// error.details.checkout_id of a refused checkout's answer ("" when absent).
std::string refused_checkout_id(std::string_view body);

/// string_field of each of `keys`, in their order, from one parse of `body`.
std::vector<std::string> string_fields(std::string_view body,
                                       std::initializer_list<std::string_view> keys);

/// `n` distinct indexes in [0, size) (fewer if fewer are allowed), in random
/// order, uniformly among the allowed ones: those i with !excluded[i] when
/// `excluded` is given (it then has `size` entries).
std::vector<std::size_t> pick_distinct(std::size_t n, std::size_t size, std::mt19937_64& rng,
                                       const std::vector<char>* excluded = nullptr);

/// Summary figures of a histogram over a measured window.
struct summary {
  uint64_t count = 0;
  double per_second = 0;
  double mean_ms = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;
};
summary summarize(const histogram& h, double seconds);

/// Human-readable table of requests, journeys and errors.
std::string render_table(const run_stats& s, double seconds);

} // namespace agora::load
