#include "tools/agora-saga/admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "actors/common/json.hpp"

namespace agora::saga_tool {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

std::string describe_error(const http_response& res) {
  std::string out = std::to_string(res.status);
  auto parsed = parse_json(res.body);
  const json::object* err = nullptr;
  if (parsed && parsed->is_object())
    err = get_object(parsed->get_object(), "error");
  if (!err)
    return out + (res.body.empty() ? std::string() : ": " + res.body);
  if (auto code = get_string(*err, "code"))
    out += " " + *code;
  if (auto message = get_string(*err, "message"))
    out += ": " + *message;
  if (auto* details = get_object(*err, "details"); details && !details->empty())
    out += " " + json::serialize(*details);
  return out;
}

admin_client::admin_client(base_url url, std::chrono::milliseconds timeout)
    : url_(std::move(url)), timeout_(timeout) {}

result<http_response> admin_client::post(std::string_view path, const std::string& json_body) {
  // Asynchronous operations run to completion on a private io_context: the
  // tcp_stream's timeout covers resolve-to-response (sync calls have none).
  asio::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, url_.prefix + std::string(path), 11};
  req.set(bhttp::field::host, url_.host + ":" + url_.port);
  req.set(bhttp::field::user_agent, "agora-saga");
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::accept, "application/json");
  if (token_)
    req.set(bhttp::field::authorization, "Bearer " + *token_);
  req.body() = json_body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  beast::error_code failure;
  std::string failed_at;
  auto fail = [&](beast::error_code ec, const char* what) {
    failure = ec;
    failed_at = what;
  };

  auto deadline = std::chrono::steady_clock::now() + timeout_;
  resolver.async_resolve(
    url_.host, url_.port, [&](beast::error_code ec, const tcp::resolver::results_type& results) {
      if (ec)
        return fail(ec, "resolve");
      stream.expires_at(deadline);
      stream.async_connect(results, [&](beast::error_code ec, const tcp::endpoint&) {
        if (ec)
          return fail(ec, "connect");
        bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
          if (ec)
            return fail(ec, "write");
          bhttp::async_read(stream, buffer, res, [&](beast::error_code ec, size_t) {
            if (ec)
              return fail(ec, "read");
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
          });
        });
      });
    });
  // The resolver has no timeout of its own: bound the whole run.
  ioc.run_for(timeout_ + std::chrono::seconds(1));
  std::string where = url_.host + ":" + url_.port;
  if (!ioc.stopped())
    return make_problem(errc::unavailable, "no answer from " + where + " within " +
                                             std::to_string(timeout_.count()) + " ms");
  if (failure)
    return make_problem(errc::unavailable, failed_at + " " + where + ": " + failure.message());
  return http_response{static_cast<int>(res.result_int()), std::move(res.body())};
}

result<std::string> admin_client::login(const std::string& email, const std::string& password) {
  json::object body;
  body["email"] = email;
  body["password"] = password;
  auto res = post("/api/v1/auth/login", json::serialize(body));
  if (!res)
    return res.error();
  if (res->status != 200)
    return make_problem(errc::unauthenticated,
                        "login as " + email + " refused: " + describe_error(*res));
  auto parsed = parse_json(res->body);
  auto token = parsed && parsed->is_object() ? get_string(parsed->get_object(), "token")
                                             : std::nullopt;
  if (!token || token->empty())
    return make_problem(errc::internal, "the login answer has no token: " + res->body);
  token_ = *token;
  return *token;
}

} // namespace agora::saga_tool
