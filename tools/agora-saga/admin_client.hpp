// A small synchronous HTTP/1.1 client for the node's API (Boost.Beast, kept in
// the .cpp): agora-saga logs in as the admin and posts operator commands.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "actors/common/problem.hpp"
#include "tools/agora-saga/args.hpp"

namespace agora::saga_tool {

struct http_response {
  int status = 0;
  std::string body;
};

/// "409 conflict: checkout ... is completed, not stuck" from an API error
/// body `{"error":{"code","message","details"}}`; the raw body when it is not
/// one.
std::string describe_error(const http_response& res);

class admin_client {
public:
  admin_client(base_url url, std::chrono::milliseconds timeout);

  /// POST `path` with a JSON body (Authorization: Bearer when logged in).
  /// A problem only when no HTTP answer arrived (connect, timeout, I/O).
  result<http_response> post(std::string_view path, const std::string& json_body);

  /// POST /api/v1/auth/login; keeps the token for later requests. The
  /// problem describes a refusal or a transport failure.
  result<std::string> login(const std::string& email, const std::string& password);

private:
  base_url url_;
  std::chrono::milliseconds timeout_;
  std::optional<std::string> token_;
};

} // namespace agora::saga_tool
