// Fuzz target: DataReader. The first input byte seeds the chunk sizes; the rest is fed
// once whole and once in chunks of 1 to 16 bytes. Invariants: both readings agree
// (message, consumed bytes, flags); the message never holds a bare CR or bare LF; it
// stays within the size limit; dot_stuff of the message reads back to the same message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "servers/smtp/smtp_data.hpp"

namespace {

using mailflow::smtp::DataReader;

bool has_bare_newline(std::string_view message) {
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message[i] == '\r' && (i + 1 >= message.size() || message[i + 1] != '\n')) return true;
    if (message[i] == '\n' && (i == 0 || message[i - 1] != '\r')) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  unsigned seed = data[0];
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr std::size_t kMaxBytes = 2048, kMaxLine = 64;

  DataReader whole(kMaxBytes, kMaxLine);
  std::size_t whole_used = whole.feed(input);

  DataReader chunked(kMaxBytes, kMaxLine);
  std::size_t chunked_used = 0;
  for (std::size_t i = 0; i < input.size() && !chunked.done();) {
    seed = seed * 1103515245u + 12345u;
    std::size_t n = 1 + (seed >> 16) % 16;
    auto piece = input.substr(i, n);
    std::size_t used = chunked.feed(piece);
    if (used != piece.size() && !chunked.done()) std::abort();
    chunked_used += used;
    i += piece.size();
  }

  if (whole_used != chunked_used || whole.done() != chunked.done() || whole.message() != chunked.message() ||
      whole.too_big() != chunked.too_big() || whole.line_too_long() != chunked.line_too_long() ||
      whole.bare_newline() != chunked.bare_newline() || whole.octets_received() != whole_used) {
    std::abort();
  }
  if (has_bare_newline(whole.message()) || whole.message().size() > kMaxBytes) std::abort();
  if (whole.done() && !whole.too_big()) {
    // The message ends with CRLF (or is empty), so the client's dot_stuff sends it back
    // unchanged.
    DataReader again(kMaxBytes * 2, kMaxLine * 2);
    auto wire = mailflow::smtp::dot_stuff(whole.message());
    if (again.feed(wire) != wire.size() || !again.done() || again.message() != whole.message() || again.bare_newline()) {
      std::abort();
    }
  }
  return 0;
}
