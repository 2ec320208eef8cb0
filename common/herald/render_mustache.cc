#include "herald/render_mustache.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <new>
#include <unordered_map>
#include <vector>

namespace herald::render_internal {
namespace {

namespace mustache = kainjow::mustache;
using nlohmann::json;

// Deeper data is not reachable by a template nested at most kMaxSectionDepth
// sections and a few dotted names; it only bounds recursion here.
constexpr int kMaxDataDepth = 256;

struct BudgetExceeded {};
struct OutputTooLarge {};

std::string FormatNumber(const json& v) {
  if (v.is_number_integer()) return v.dump();
  const double d = v.get<double>();
  // Integral doubles below 2^53 are exact: print them as integers, so a value
  // that passed through a float (10.0) still reads "10".
  if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
    return std::to_string(static_cast<int64_t>(d));
  }
  return v.dump();  // shortest round-trip form, e.g. 0.1, 1e+100
}

mustache::data Convert(const json& v, int depth) {
  if (depth > kMaxDataDepth) return mustache::data(false);
  switch (v.type()) {
    case json::value_t::object: {
      mustache::data out(mustache::data::type::object);
      for (const auto& [key, child] : v.items()) out[key] = Convert(child, depth + 1);
      return out;
    }
    case json::value_t::array: {
      mustache::list items;
      items.reserve(v.size());  // data's move is not noexcept: avoid copies on growth
      for (const auto& child : v) items.push_back(Convert(child, depth + 1));
      return mustache::data(items);
    }
    case json::value_t::string:
      return mustache::data(v.get_ref<const std::string&>());
    case json::value_t::boolean:
      return mustache::data(v.get<bool>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return mustache::data(FormatNumber(v));
    default:
      return mustache::data(false);
  }
}

// kainjow's trim, reproduced so SectionDepth tokenizes exactly as it does.
std::string KainjowTrim(const std::string& s) {
  auto it = s.begin();
  while (it != s.end() && std::isspace(*it)) ++it;
  auto rit = s.rbegin();
  while (rit.base() != it && std::isspace(*rit)) ++rit;
  return {it, rit.base()};
}

bool ValidDelimiter(const std::string& d) {
  return std::none_of(d.begin(), d.end(), [](char c) { return c == '=' || std::isspace(c); });
}

// kainjow's parse_set_delimiter_tag.
bool ParseSetDelimiter(const std::string& contents, std::string* begin, std::string* end) {
  if (contents.size() < 5 || contents.back() != '=') return false;
  const std::string inner = KainjowTrim(contents.substr(1, contents.size() - 2));
  const size_t space = inner.find(' ');
  if (space == std::string::npos) return false;
  const size_t nonspace = inner.find_first_not_of(' ', space + 1);
  if (nonspace == std::string::npos) return false;
  std::string b = inner.substr(0, space);
  std::string e = inner.substr(nonspace);
  if (!ValidDelimiter(b) || !ValidDelimiter(e)) return false;
  *begin = std::move(b);
  *end = std::move(e);
  return true;
}

// Counts every lookup and section iteration; partials are disabled.
class BudgetContext : public mustache::context<std::string> {
 public:
  BudgetContext(const mustache::data* root, size_t budget) : mustache::context<std::string>(root), left_(budget) {}
  void push(const mustache::data* data) override {
    Spend();
    mustache::context<std::string>::push(data);
  }
  const mustache::data* get(const std::string& name) const override {
    Spend();
    return mustache::context<std::string>::get(name);
  }
  const mustache::data* get_partial(const std::string&) const override { return nullptr; }

 private:
  void Spend() const {
    if (left_ == 0) throw BudgetExceeded{};
    --left_;
  }
  mutable size_t left_;
};

// kainjow writes whole lines here; a line longer than the cap is caught after
// rendering.
struct BoundedSink {
  std::string out;
  BoundedSink& operator<<(const std::string& s) {
    if (out.size() + s.size() > kMaxRenderedBytes) throw OutputTooLarge{};
    out += s;
    return *this;
  }
};

// What must hold before kainjow may even parse `tmpl`.
Status CheckBounds(const std::string& tmpl) {
  if (tmpl.size() > kMaxTemplateBytes) {
    return Error{"template is " + std::to_string(tmpl.size()) + " bytes, over the " +
                 std::to_string(kMaxTemplateBytes) + "-byte limit"};
  }
  if (SectionDepth(tmpl) > kMaxSectionDepth) {
    return Error{"template nests sections deeper than " + std::to_string(kMaxSectionDepth) + " levels"};
  }
  return OkStatus();
}

// Parsed templates, kept: parsing is most of the cost of rendering (for a
// 1.8 KB email template, 330k instructions a message with the parse kept
// against 770k without), and a sidecar renders the same few templates for
// every message. Keyed by the template
// text, so a cached parse is exactly what a fresh one would be. Per thread,
// because rendering sets the escaper on the parsed object. Bounded: when
// full it starts over (a process uses a handful of templates; a fuzzer or
// heraldctl many once).
class TemplateCache {
 public:
  static constexpr size_t kMaxEntries = 64;
  static constexpr size_t kMaxCachedBytes = 1024 * 1024;

  // Returns the parsed template for `tmpl`, parsing it on first use, or an
  // Error for a template over the bounds or invalid (those are not kept).
  Result<mustache::mustache*> Get(const std::string& tmpl) {
    if (auto it = parsed_.find(tmpl); it != parsed_.end()) return it->second.get();
    if (auto bounded = CheckBounds(tmpl); !bounded) return Error{bounded.error()};
    auto parsed = std::make_unique<mustache::mustache>(tmpl);
    if (!parsed->is_valid()) return Error{"invalid Mustache: " + parsed->error_message()};
    if (parsed_.size() >= kMaxEntries || bytes_ + tmpl.size() > kMaxCachedBytes) {
      parsed_.clear();
      bytes_ = 0;
    }
    bytes_ += tmpl.size();
    return parsed_.emplace(tmpl, std::move(parsed)).first->second.get();
  }

  void Forget(const std::string& tmpl) {
    if (parsed_.erase(tmpl) > 0) bytes_ -= tmpl.size();
  }

 private:
  std::unordered_map<std::string, std::unique_ptr<mustache::mustache>> parsed_;
  size_t bytes_ = 0;
};

TemplateCache& ParsedCache() {
  thread_local TemplateCache cache;
  return cache;
}

}  // namespace

std::string NoEscape(const std::string& value) { return value; }

std::string HtmlEscape(const std::string& value) { return mustache::html_escape(value); }

std::string JsonStringEscape(const std::string& value) {
  std::string out;
  out.reserve(value.size() + 8);
  for (const char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          std::array<char, 8> buf{};
          std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(c));
          out += buf.data();
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string SlackEscape(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

mustache::data ToMustacheData(const json& value) { return Convert(value, 0); }

int SectionDepth(const std::string& input) {
  std::string begin = "{{";
  std::string end = "}}";
  bool brace = true;
  int depth = 0;
  int deepest = 0;
  const size_t n = input.size();
  size_t pos = 0;
  while (pos < n) {
    if (input.compare(pos, begin.size(), begin) != 0) {
      ++pos;
      continue;
    }
    size_t contents = pos + begin.size();
    // As kainjow: "{{{" opens an unescaped variable closed by "}}}".
    const bool unescaped = brace && pos + 2 < n && input[contents] == '{';
    if (unescaped) ++contents;
    const std::string close = unescaped ? "}}}" : end;
    const size_t tag_end = input.find(close, contents);
    if (tag_end == std::string::npos) return deepest;  // kainjow: unclosed tag
    const std::string body = KainjowTrim(input.substr(contents, tag_end - contents));
    if (!body.empty() && body[0] == '=') {
      if (!ParseSetDelimiter(body, &begin, &end)) return deepest;  // kainjow: invalid set delimiter
      brace = begin == "{{" && end == "}}";
    } else if (!unescaped && !body.empty()) {
      if (body[0] == '#' || body[0] == '^') {
        deepest = std::max(deepest, ++depth);
      } else if (body[0] == '/') {
        if (depth == 0) return deepest;  // kainjow: unopened section
        --depth;
      }
    }
    pos = tag_end + close.size();
  }
  return deepest;
}

Status CheckTemplate(const std::string& tmpl) {
  try {
    // Parsing through the cache means a template checked at configuration
    // load is not parsed again for its first message.
    auto parsed = ParsedCache().Get(tmpl);
    if (!parsed) return Error{parsed.error()};
  } catch (const std::exception& e) {
    return Error{std::string("invalid Mustache: ") + e.what()};
  }
  return OkStatus();
}

Result<std::string> RenderMustache(const std::string& tmpl, const mustache::data& data, const Escaper& escape) {
  try {
    auto got = ParsedCache().Get(tmpl);
    if (!got) return Error{got.error()};
    mustache::mustache& parsed = **got;
    parsed.set_custom_escape(escape);
    BudgetContext context(&data, kMaxRenderSteps);
    BoundedSink sink;
    parsed.render(context, sink);
    if (!parsed.is_valid()) {
      // kainjow keeps a render error in the object: never reuse it.
      std::string why = parsed.error_message();
      ParsedCache().Forget(tmpl);
      return Error{"render failed: " + why};
    }
    if (sink.out.size() > kMaxRenderedBytes) throw OutputTooLarge{};
    return std::move(sink.out);
  } catch (const BudgetExceeded&) {
    return Error{"rendering took more than " + std::to_string(kMaxRenderSteps) + " steps (sections over large lists?)"};
  } catch (const OutputTooLarge&) {
    return Error{"rendered output is over " + std::to_string(kMaxRenderedBytes) + " bytes"};
  } catch (const std::bad_alloc&) {
    return Error{"out of memory while rendering"};
  } catch (const std::exception& e) {
    return Error{std::string("render failed: ") + e.what()};
  }
}

}  // namespace herald::render_internal
