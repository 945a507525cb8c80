// Namespace aliases for Boost.Asio and Boost.Beast. The project's own module
// is called `net`, so Asio is spelled `asio` (never `net`, as in Beast's
// examples). Include this only from .cpp files: it pulls in all of Asio.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace agora::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
/// Beast's HTTP namespace; `http` is taken by agora::net::http.
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

} // namespace agora::net
