#include "herald/envelope_json.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <exception>

namespace herald::json_util {

using nlohmann::json;

std::string QuoteForReason(std::string_view value, size_t max) {
  std::string out = "\"";
  for (size_t i = 0; i < value.size() && i < max; ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      std::array<char, 5> hex{};
      std::snprintf(hex.data(), hex.size(), "\\x%02x", c);
      out += hex.data();
    }
  }
  if (value.size() > max) out += "...";
  return out + "\"";
}

int TextDepth(std::string_view text, int stop_above) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > stop_above) return deepest;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

namespace {

int ValueDepthFrom(const json& value, int stop_above, int depth) {
  if (!value.is_structured()) return depth;
  if (depth + 1 > stop_above) return depth + 1;
  int deepest = depth + 1;
  for (const auto& child : value) {
    deepest = std::max(deepest, ValueDepthFrom(child, stop_above, depth + 1));
    if (deepest > stop_above) break;
  }
  return deepest;
}

}  // namespace

int ValueDepth(const json& value, int stop_above) { return ValueDepthFrom(value, stop_above, 0); }

Result<json> Parse(std::string_view text, int max_depth) {
  if (TextDepth(text, max_depth) > max_depth) {
    return Error{"nests arrays/objects deeper than " + std::to_string(max_depth) + " levels"};
  }
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    std::string what = e.what();
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
    if (const size_t close = what.find("] "); what.rfind("[json.exception.", 0) == 0 && close != std::string::npos) {
      what.erase(0, close + 2);
    }
    const std::string quoted = QuoteForReason(what, 240);
    return Error{quoted.substr(1, quoted.size() - 2)};
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
}

Status Check(std::string_view text, int max_depth) {
  if (TextDepth(text, max_depth) <= max_depth && json::accept(text)) return OkStatus();
  auto parsed = Parse(text, max_depth);  // for the reason; fails as accept did
  if (!parsed) return Error{parsed.error()};
  return OkStatus();
}

Result<std::string> Dump(const json& value) {
  try {
    return value.dump();
  } catch (const json::exception&) {
    return Error{"contains a string that is not valid UTF-8"};
  } catch (const std::exception& e) {
    return Error{e.what()};
  }
}

std::string TypeName(const json& value) { return value.is_number() ? "number" : std::string(value.type_name()); }

}  // namespace herald::json_util
