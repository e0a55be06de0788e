// A per-operation deadline for a socket, after Asio's cpp20 chat example "watchdog": arm it
// before each read or write; when it passes, the socket is closed, which cancels the
// operation in flight. Timers per operation (not per session) cut trickling peers too.
#pragma once

#include <chrono>
#include <memory>

#include "servers/net/asio.hpp"

namespace mailflow::net {

class Deadline {
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

  // Runs until the deadline passes (then calls on_expire) or cancel() is called. Static,
  // with the Deadline as a parameter, so the coroutine frame owns it from the call on:
  // a member coroutine would only take its reference when it first runs, after the owner
  // may be gone. Pass a named on_expire (GCC 12 mishandles lambda temporaries here).
  template <class OnExpire>
  static awaitable<void> watch(std::shared_ptr<Deadline> self, OnExpire on_expire) {
    while (!self->stopped_) {
      auto wake = std::min(self->expiry_, Clock::now() + std::chrono::seconds(1));
      self->timer_.expires_at(wake);
      error_code ec;
      co_await self->timer_.async_wait(asio::redirect_error(use_awaitable, ec));
      if (self->stopped_) co_return;
      if (Clock::now() >= self->expiry_) {
        self->expired_ = true;
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
