#include "net/http/handler.hpp"

#include <strings.h>

#include "actors/common/log.hpp"
#include "net/http/errors.hpp"

namespace agora::net::http {

// -- vocabulary ---------------------------------------------------------------

std::string_view to_string(verb v) noexcept {
  switch (v) {
    case verb::get: return "GET";
    case verb::post: return "POST";
    case verb::put: return "PUT";
    case verb::patch: return "PATCH";
    case verb::del: return "DELETE";
    case verb::head: return "HEAD";
    case verb::options: return "OPTIONS";
    case verb::other: return "OTHER";
  }
  return "OTHER";
}

verb parse_verb(std::string_view text) noexcept {
  if (text == "GET")
    return verb::get;
  if (text == "POST")
    return verb::post;
  if (text == "PUT")
    return verb::put;
  if (text == "PATCH")
    return verb::patch;
  if (text == "DELETE")
    return verb::del;
  if (text == "HEAD")
    return verb::head;
  if (text == "OPTIONS")
    return verb::options;
  return verb::other;
}

// -- request ------------------------------------------------------------------

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

} // namespace

std::string_view request::param(std::string_view name) const noexcept {
  for (auto& [k, v] : path_params)
    if (k == name)
      return v;
  return {};
}

std::optional<std::string_view> request::query_param(std::string_view name) const noexcept {
  for (auto& [k, v] : query)
    if (k == name)
      return std::string_view{v};
  return std::nullopt;
}

std::optional<std::string_view> request::header(std::string_view name) const noexcept {
  for (auto& [k, v] : headers)
    if (iequals(k, name))
      return std::string_view{v};
  return std::nullopt;
}

// -- response -----------------------------------------------------------------

response response::json(unsigned status, std::string body) {
  response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = "application/json";
  return r;
}

response response::no_content() {
  response r;
  r.status = 204;
  return r;
}

response response::error(const problem& p) {
  auto m = map_error(p.code);
  auto r = json(m.status, render_error_body(p));
  if (m.retry_after_s > 0)
    r.headers.emplace_back("Retry-After", std::to_string(m.retry_after_s));
  return r;
}

response response::text(unsigned status, std::string body, std::string content_type) {
  response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

response& response::with_header(std::string name, std::string value) & {
  headers.emplace_back(std::move(name), std::move(value));
  return *this;
}

response&& response::with_header(std::string name, std::string value) && {
  headers.emplace_back(std::move(name), std::move(value));
  return std::move(*this);
}

// -- responder ----------------------------------------------------------------

namespace detail {

reply_slot::reply_slot(std::shared_ptr<reply_claim> claim, sink deliver)
  : claim_(std::move(claim)), deliver_(std::move(deliver)) {
}

reply_slot::~reply_slot() {
  if (!claim_->try_claim())
    return;
  net_log().error("a handler dropped its responder without replying");
  try {
    deliver_(response::error(make_problem(errc::internal, "the request was not answered")));
  } catch (const std::exception& e) {
    net_log().error("cannot deliver the fallback reply: {}", e.what());
  }
}

void reply_slot::send(response&& r) {
  if (!claim_->try_claim()) {
    net_log().debug("late or repeated reply dropped (status {})", r.status);
    return;
  }
  deliver_(std::move(r));
}

} // namespace detail

void responder::send(response r) const {
  if (slot_)
    slot_->send(std::move(r));
}

} // namespace agora::net::http
