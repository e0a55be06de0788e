// Fuzz target: the DNS codec and the authority behind it. Any bytes must decode to a
// message or an error (never a crash or hang); whatever decodes re-encodes to something
// that decodes again with the same question; the authority answers or drops, and its
// answer always encodes within the UDP limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "servers/dns/dns_zone.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailflow::dns;
  static const Authority authority(mailflow::sim::default_world());
  auto decoded = decode({data, size});
  if (decoded.message) {
    auto again = decode(encode(*decoded.message).wire);
    if (!again.message || again.message->questions.size() != decoded.message->questions.size()) std::abort();
  }
  auto answer = authority.answer(decoded);
  if (!answer.drop) {
    auto limit = udp_response_limit(decoded.message ? &*decoded.message : nullptr, 1232);
    auto wire = encode(answer.response, limit).wire;
    if (wire.size() > limit || !decode(wire).message) std::abort();
  }
  return 0;
}
