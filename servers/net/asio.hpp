// The one place that pulls in Boost.Asio for mailflow's servers, with the names every
// session uses. Boost 1.74 needs <utility> before Asio's coroutine headers (the build also
// forces it) or co_await code fails with "exchange is not a member of std".
#pragma once

#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mailflow::net {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using asio::ip::udp;

inline std::string endpoint_text(const tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}
inline std::string endpoint_text(const udp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

}  // namespace mailflow::net
