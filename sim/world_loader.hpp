// Reads a World from a YAML world file (format: scenarios/worlds/README.md) and checks it:
// every problem found is reported with the file, line and column of the offending node, so
// a trainer editing a world sees all mistakes at once, the way a compiler reports them.
// Nothing here throws: yaml-cpp's exceptions are caught and become errors.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/world.hpp"
#include "sim/yaml_reader.hpp"

namespace mailflow::sim {

using WorldError = LoadError;

struct WorldLoadResult {
  std::optional<World> world;     // set only when errors is empty
  std::vector<WorldError> errors;  // in document order

  bool ok() const { return world.has_value() && errors.empty(); }
};

// An unreadable file is one error with line 0.
WorldLoadResult load_world_file(const std::string& path);
// file_name is only used in the errors.
WorldLoadResult load_world_string(std::string_view yaml, std::string file_name = "<string>");

}  // namespace mailflow::sim
