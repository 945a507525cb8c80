#include "net/http/errors.hpp"

#include "actors/common/json.hpp"
#include "actors/common/json_writer.hpp"

namespace agora::net::http {

error_mapping map_error(errc code) noexcept {
  switch (code) {
    case errc::invalid_request: return {400, code, 0};
    case errc::unauthenticated: return {401, code, 0};
    case errc::forbidden: return {403, code, 0};
    case errc::not_found: return {404, code, 0};
    case errc::method_not_allowed: return {405, code, 0};
    case errc::conflict: return {409, code, 0};
    case errc::invalid_transition: return {409, code, 0};
    case errc::payload_too_large: return {413, code, 0};
    case errc::unsupported_media_type: return {415, code, 0};
    case errc::out_of_stock:
    case errc::insufficient_stock:
    case errc::payment_declined:
    case errc::payment_failed:
    case errc::cart_empty:
    case errc::product_unavailable:
    case errc::currency_mismatch:
    case errc::refund_exceeds_captured: return {422, code, 0};
    case errc::rate_limited: return {429, code, 1};
    case errc::unavailable: return {503, code, 1};
    // A lost optimistic-concurrency race is transient: the entity restarts
    // from the journal, so the client may simply retry.
    case errc::concurrency_conflict: return {503, errc::unavailable, 1};
    case errc::internal: return {500, code, 0};
  }
  return {500, errc::internal, 0};
}

unsigned http_status(errc code) noexcept {
  return map_error(code).status;
}

std::string render_error_body(const problem& p) {
  auto m = map_error(p.code);
  json_writer w{64 + p.message.size() + p.details.size()};
  w.begin_object().key("error");
  write_problem(w, to_string(m.wire_code), p);
  w.end_object();
  return w.take();
}

const char* status_reason(unsigned status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

} // namespace agora::net::http
