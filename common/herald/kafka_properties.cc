#include "herald/kafka_properties.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace herald::kafka {
namespace {

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

}  // namespace

Result<KafkaProperties> ParseKafkaProperties(std::string_view text, std::string_view source) {
  KafkaProperties props;
  std::map<std::string, int> line_of;  // key -> line where it was set, for the duplicate message
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = Trim(line);
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;

    const std::string where = std::string(source) + ":" + std::to_string(line_no) + ": ";
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Error{where + "expected key=value, got a line without '='"};
    }
    const std::string key(Trim(line.substr(0, eq)));
    if (key.empty()) return Error{where + "empty property name before '='"};
    if (auto [it, inserted] = line_of.emplace(key, line_no); !inserted) {
      return Error{where + "property " + key + " is already set on line " + std::to_string(it->second)};
    }
    props[key] = std::string(Trim(line.substr(eq + 1)));
  }
  return props;
}

Result<KafkaProperties> LoadKafkaProperties(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": " + std::strerror(errno)};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error{path + ": read failed"};
  return ParseKafkaProperties(text.str(), path);
}

}  // namespace herald::kafka
