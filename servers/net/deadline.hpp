// A per-operation deadline for a socket, after Asio's cpp20 chat example "watchdog": arm it
// before each read or write; when it passes, the socket is closed, which cancels the
// operation in flight. Timers per operation (not per session) cut trickling peers too.
#pragma once

#include <chrono>
#include <memory>

#include "servers/net/asio.hpp"

namespace mailflow::net {

class Deadline : public std::enable_shared_from_this<Deadline> {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Deadline(asio::any_io_executor executor) : timer_(std::move(executor)) {}

  void arm(Clock::duration d) {
    expiry_ = Clock::now() + d;
    // Wake the watcher when the new deadline comes before the one it sleeps towards.
    if (expiry_ < timer_.expiry()) timer_.expires_at(expiry_);
  }
  void disarm() { expiry_ = Clock::time_point::max(); }
  bool expired() const { return expired_; }
  void cancel() {
    stopped_ = true;
    timer_.cancel();
  }

  // Runs until the deadline passes (then calls on_expire) or cancel() is called.
  template <class OnExpire>
  awaitable<void> watch(OnExpire on_expire) {
    auto self = shared_from_this();
    while (!stopped_) {
      auto wake = std::min(expiry_, Clock::now() + std::chrono::seconds(1));
      timer_.expires_at(wake);
      error_code ec;
      co_await timer_.async_wait(asio::redirect_error(use_awaitable, ec));
      if (stopped_) co_return;
      if (Clock::now() >= expiry_) {
        expired_ = true;
        on_expire();
        co_return;
      }
    }
  }

 private:
  asio::steady_timer timer_;
  Clock::time_point expiry_ = Clock::time_point::max();
  bool expired_ = false;
  bool stopped_ = false;
};

}  // namespace mailflow::net
