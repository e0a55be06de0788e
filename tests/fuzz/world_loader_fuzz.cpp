// Fuzz target: the YAML world loader. Any bytes give a world or a list of errors, each
// with a file name; never a crash, an exception or a hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sim/world_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = mailflow::sim::load_world_string(text, "fuzz.yaml");
  if (result.ok() == !result.errors.empty()) std::abort();
  for (const auto& error : result.errors) {
    if (error.file != "fuzz.yaml" || error.message.empty()) std::abort();
  }
  return 0;
}
