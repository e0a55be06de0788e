// Runs blocking work (durable writes: write, fsync, rename) on a thread pool and resumes
// the calling coroutine on its own executor with the result, so one session waiting for
// the disk never stalls the io thread's other sessions, and concurrent sessions' fsyncs
// can share group-commit passes (sim/group_sync.hpp).
//
//   AcceptResult r = co_await net::run_blocking(pool, [&] { return services.accept(...); });
//
// With a null pool the work runs inline (unit tests, tools). An exception thrown by the
// work is rethrown in the coroutine. The caller must keep what the work references alive
// until the co_await returns (a coroutine's locals are).
#pragma once

#include <exception>
#include <optional>
#include <type_traits>

#include <boost/asio/thread_pool.hpp>

#include "servers/net/asio.hpp"

namespace mailflow::net {

template <class Work>
awaitable<std::invoke_result_t<Work&>> run_blocking(asio::thread_pool* pool, Work work) {
  using Result = std::invoke_result_t<Work&>;
  if (!pool) co_return work();
  auto initiate = [pool, &work](auto handler) {
    auto resume_on = asio::get_associated_executor(handler);
    asio::post(*pool, [&work, resume_on, handler = std::move(handler)]() mutable {
      std::exception_ptr error;
      std::optional<Result> result;
      try {
        result.emplace(work());
      } catch (...) {
        error = std::current_exception();
      }
      asio::post(resume_on, [handler = std::move(handler), error, result = std::move(result)]() mutable {
        handler(error, std::move(result));
      });
    });
  };
  std::optional<Result> result =
      co_await asio::async_initiate<decltype(use_awaitable), void(std::exception_ptr, std::optional<Result>)>(
          std::move(initiate), use_awaitable);
  co_return std::move(*result);
}

}  // namespace mailflow::net
