// Fuzz target: reading trace lines. Any line is an event or nothing; an event read back
// writes and reads again to the same event.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/event.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace mailflow::sim;
  std::string_view line(reinterpret_cast<const char*>(data), size);
  auto event = event_from_json_line(line);
  if (event) {
    auto again = event_from_json_line(to_json_line(*event));
    if (!again || to_json_line(*again) != to_json_line(*event)) std::abort();
  }
  mask_credentials(line);
  return 0;
}
