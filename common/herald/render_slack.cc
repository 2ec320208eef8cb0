#include "herald/render_slack.h"

#include <string>

namespace herald::render_internal {
namespace {

using nlohmann::json;

bool IsTextObject(const json& v) {
  if (!v.is_object()) return false;
  auto type = v.find("type");
  auto text = v.find("text");
  return type != v.end() && (*type == "mrkdwn" || *type == "plain_text") && text != v.end() && text->is_string();
}

bool IsMrkdwn(const json& v) { return IsTextObject(v) && v["type"] == "mrkdwn"; }

Status TooLong(const std::string& path, size_t length, size_t max) {
  return Error{path + ": " + std::to_string(length) + " characters; Slack allows at most " + std::to_string(max)};
}

// A text object at `path` holding 1..max characters.
Status CheckText(const json& object, const std::string& path, size_t max) {
  if (!IsTextObject(object)) {
    return Error{path + ": must be a text object ({\"type\": \"mrkdwn\"|\"plain_text\", \"text\": \"...\"})"};
  }
  const size_t length = Utf8Length(object["text"].get_ref<const std::string&>());
  if (length == 0) return Error{path + ".text: empty; Slack needs at least 1 character"};
  if (length > max) return TooLong(path + ".text", length, max);
  return OkStatus();
}

Status CheckCount(const json& block, const char* key, const std::string& path, size_t max) {
  auto it = block.find(key);
  if (it == block.end()) return OkStatus();
  if (!it->is_array()) return Error{path + "." + key + ": must be an array"};
  if (it->size() > max) {
    return Error{path + "." + key + ": " + std::to_string(it->size()) + " items; Slack allows at most " +
                 std::to_string(max)};
  }
  return OkStatus();
}

// Every text object anywhere (context elements, buttons, ...) is capped.
Status CheckAllTextObjects(const json& v, const std::string& path) {
  if (IsTextObject(v)) {
    const size_t length = Utf8Length(v["text"].get_ref<const std::string&>());
    if (length > kSlackMaxTextObjectChars) return TooLong(path + ".text", length, kSlackMaxTextObjectChars);
  }
  if (v.is_object()) {
    for (const auto& [key, child] : v.items()) {
      if (auto s = CheckAllTextObjects(child, path + "." + key); !s) return s;
    }
  } else if (v.is_array()) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (auto s = CheckAllTextObjects(v[i], path + "[" + std::to_string(i) + "]"); !s) return s;
    }
  }
  return OkStatus();
}

Status CheckBlock(const json& block, const std::string& path) {
  auto type_it = block.is_object() ? block.find("type") : block.end();
  if (!block.is_object() || type_it == block.end() || !type_it->is_string()) {
    return Error{path + ": must be an object with a string \"type\""};
  }
  const std::string& type = type_it->get_ref<const std::string&>();
  if (auto id = block.find("block_id"); id != block.end()) {
    if (!id->is_string()) return Error{path + ".block_id: must be a string"};
    const size_t length = Utf8Length(id->get_ref<const std::string&>());
    if (length > kSlackMaxBlockIdChars) return TooLong(path + ".block_id", length, kSlackMaxBlockIdChars);
  }
  if (type == "section") {
    auto text = block.find("text");
    auto fields = block.find("fields");
    if (text == block.end() && fields == block.end()) return Error{path + ": a section needs \"text\" or \"fields\""};
    if (text != block.end()) {
      if (auto s = CheckText(*text, path + ".text", kSlackMaxTextObjectChars); !s) return s;
    }
    if (auto s = CheckCount(block, "fields", path, kSlackMaxSectionFields); !s) return s;
    if (fields != block.end()) {
      for (size_t i = 0; i < fields->size(); ++i) {
        const std::string field_path = path + ".fields[" + std::to_string(i) + "]";
        if (auto s = CheckText((*fields)[i], field_path, kSlackMaxSectionFieldChars); !s) return s;
      }
    }
  } else if (type == "header") {
    auto text = block.find("text");
    if (text == block.end()) return Error{path + ": a header needs \"text\""};
    if (auto s = CheckText(*text, path + ".text", kSlackMaxHeaderChars); !s) return s;
    if ((*text)["type"] != "plain_text") return Error{path + ".text: a header's text must be plain_text"};
  } else if (type == "context") {
    if (auto s = CheckCount(block, "elements", path, kSlackMaxContextElements); !s) return s;
  } else if (type == "actions") {
    if (auto s = CheckCount(block, "elements", path, kSlackMaxActionsElements); !s) return s;
  }
  return CheckAllTextObjects(block, path);
}

}  // namespace

size_t Utf8Length(const std::string& s) {
  size_t n = 0;
  for (const char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

json MergeMrkdwnText(const json& plain, const json& escaped) {
  if (plain.type() != escaped.type()) return plain;
  if (plain.is_array()) {
    if (plain.size() != escaped.size()) return plain;
    json out = json::array();
    for (size_t i = 0; i < plain.size(); ++i) out.push_back(MergeMrkdwnText(plain[i], escaped[i]));
    return out;
  }
  if (!plain.is_object()) return plain;
  const bool mrkdwn = IsMrkdwn(plain) && IsMrkdwn(escaped);
  json out = json::object();
  for (const auto& [key, value] : plain.items()) {
    auto other = escaped.find(key);
    if (other == escaped.end()) {
      out[key] = value;
    } else if (mrkdwn && key == "text") {
      out[key] = *other;
    } else {
      out[key] = MergeMrkdwnText(value, *other);
    }
  }
  return out;
}

Status CheckSlackBlocks(const json& blocks) {
  if (!blocks.is_array()) return Error{"must be a JSON array of blocks"};
  if (blocks.size() > kSlackMaxBlocks) {
    return Error{std::to_string(blocks.size()) + " blocks; Slack allows at most " + std::to_string(kSlackMaxBlocks) +
                 " per message"};
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (auto s = CheckBlock(blocks[i], "blocks[" + std::to_string(i) + "]"); !s) return s;
  }
  return OkStatus();
}

}  // namespace herald::render_internal
