// Connection ids shared by every server, so events of one connection can be grouped.
#pragma once

#include <atomic>
#include <cstdint>

namespace mailflow::net {

inline std::uint64_t next_session_id() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace mailflow::net
