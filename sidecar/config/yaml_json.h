#pragma once
// YAML → JSON with YAML 1.2 core-schema typing for plain scalars (so `11`
// stays a number and `"11"` stays a string), for handing YAML sections to
// code that speaks nlohmann::json (Template specs, samples).
#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>

namespace herald::config {

[[nodiscard]] nlohmann::json YamlToJson(const YAML::Node& node);

}  // namespace herald::config
