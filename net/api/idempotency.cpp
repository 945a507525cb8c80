#include "net/api/idempotency.hpp"

#include <memory>

#include <openssl/evp.h>

#include "actors/common/json.hpp"
#include "net/api/api.hpp"

namespace agora::net::api {

bool valid_idempotency_key(std::string_view key) {
  if (key.empty() || key.size() > 255)
    return false;
  for (char c : key)
    if (c < 0x21 || c > 0x7e)
      return false;
  return true;
}

problem invalid_idempotency_key() {
  return invalid_field("Idempotency-Key", "must be 1 to 255 printable ASCII characters");
}

/// The response as stored: {"content_type", "headers": [[name, value]], "body"}.
std::string encode_response(const http::response& r) {
  json::object o;
  o["content_type"] = r.content_type;
  json::array headers;
  for (auto& [name, value] : r.headers)
    headers.push_back(json::array{json::value(name), json::value(value)});
  o["headers"] = std::move(headers);
  o["body"] = r.body;
  return json::serialize(o);
}

std::optional<http::response> decode_response(int32_t status, std::string_view text) {
  return decode_json_object<http::response>(
    text, [status](const json::object& o) -> std::optional<http::response> {
      auto content_type = get_string(o, "content_type");
      auto body = get_string(o, "body");
      const auto* headers = o.if_contains("headers");
      if (!content_type || !body || !headers || !headers->is_array())
        return std::nullopt;
      http::response r;
      r.status = static_cast<unsigned>(status);
      r.content_type = std::move(*content_type);
      r.body = std::move(*body);
      for (const auto& h : headers->get_array()) {
        const auto& pair = h.as_array();
        r.headers.emplace_back(std::string(pair.at(0).as_string()),
                               std::string(pair.at(1).as_string()));
      }
      return r;
    });
}

namespace {

using persistence::claim_kind;

/// A responder that stores the response under the claimed key before it
/// passes it on; a 5xx releases the key instead, so a retry runs again.
http::responder recording(services& s, persistence::idempotency_claim claim,
                          http::responder original) {
  auto sink = [&s, claim = std::move(claim), original](http::response&& r) {
    persistence::idempotency_completion done{claim.scope, claim.key, 0, {}, claim.request_hash};
    if (r.status < 500) {
      done.status = static_cast<int32_t>(r.status);
      done.response = encode_response(r);
    }
    auto shared = std::make_shared<http::response>(std::move(r));
    // The store bounds its statements, and the HTTP request timeout still
    // answers a client whose reply does not come.
    persistence::complete(s.idempotency, std::move(done), [shared, original](result<bool> ok) {
      if (ok)
        return original.send(std::move(*shared));
      original.error(errc::unavailable,
                     "the response could not be recorded; retry with the same Idempotency-Key");
    });
  };
  return http::responder{std::make_shared<http::detail::reply_slot>(
    std::make_shared<http::detail::reply_claim>(), std::move(sink))};
}

http::handler idempotent(services& s, http::handler inner) {
  return [&s, inner = std::move(inner)](http::request& req, http::responder res) {
    auto header = req.header("Idempotency-Key");
    if (!header)
      return inner(req, std::move(res));
    if (!valid_idempotency_key(*header))
      return res.error(invalid_idempotency_key());
    persistence::idempotency_claim claim{idempotency_scope(req), std::string(*header),
                                         body_digest(req.body)};
    // The request outlives this call: the handler runs once the claim is in.
    auto saved = std::make_shared<http::request>(std::move(req));
    persistence::claim(
      s.idempotency, claim,
      [&s, inner, claim, saved, res](result<persistence::idempotency_record> rec) {
        if (!rec)
          return res.error(errc::unavailable, "idempotency keys are unavailable; retry");
        switch (rec->kind) {
          case claim_kind::fresh:
            return inner(*saved, recording(s, claim, res));
          case claim_kind::replay:
            if (auto r = decode_response(rec->status, rec->response))
              return res.send(std::move(*r));
            return res.error(errc::internal, "the recorded response is unreadable");
          case claim_kind::mismatch:
            return res.error(errc::conflict,
                             "this Idempotency-Key was used with another request body");
          case claim_kind::in_progress:
            return res.error(errc::conflict,
                             "a request with this Idempotency-Key is still running",
                             R"({"reason":"in_progress"})");
        }
      });
  };
}

} // namespace

std::string idempotency_scope(const http::request& req) {
  std::string scope;
  if (req.caller)
    scope.append(auth::to_string(req.caller->role)).append(":").append(req.caller->customer_id);
  else
    scope = "anonymous";
  scope.append(" ").append(http::to_string(req.method)).append(" ").append(req.path);
  return scope;
}

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex(std::string& out, unsigned char byte) {
  out.push_back(hex_digits[byte >> 4]);
  out.push_back(hex_digits[byte & 0x0F]);
}

} // namespace

std::string body_digest(std::string_view body) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(body.data(), body.size(), md, &len, EVP_sha256(), nullptr);
  std::string out;
  out.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i)
    append_hex(out, md[i]);
  return out;
}

std::string keyed_id(std::string_view scope, std::string_view key) {
  // The scope never holds a newline (a path and a caller id), so the pair
  // is read back unambiguously.
  std::string input;
  input.reserve(scope.size() + 1 + key.size());
  input.append(scope).append("\n").append(key);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  md[6] = static_cast<unsigned char>((md[6] & 0x0F) | 0x80); // version 8
  md[8] = static_cast<unsigned char>((md[8] & 0x3F) | 0x80); // RFC 9562 variant
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out.push_back('-');
    append_hex(out, md[i]);
  }
  return out;
}

void make_posts_idempotent(http::router& r, services& s) {
  for (auto& route : r.routes())
    if (route->method == http::verb::post && route->pattern != "/api/v1/auth/login" &&
        !route->keeps_idempotency_keys)
      route->fn = idempotent(s, std::move(route->fn));
}

} // namespace agora::net::api
