#pragma once
// Mustache underneath render.h: kainjow mustache made safe to run on
// untrusted data and user-written templates. Internal to herald_common;
// exposed for render.cc and tests.
//
// What "safe" means here, and why each guard exists:
// - kainjow throws (std::out_of_range, std::bad_alloc); RenderMustache
//   catches everything and returns an Error.
// - kainjow parses, renders and destroys sections recursively, so a template
//   nested thousands of sections deep overflows the stack. SectionDepth
//   mirrors kainjow's tokenizer to measure nesting before kainjow sees it.
// - Nested sections over lists multiply work: {{#l}}{{#l}}{{#l}}..{{/l}}..
//   over a 1000-item list is 10^9 steps. Every lookup and section iteration
//   spends from a fixed budget, and output is capped.
// - Partials ({{>name}}) would render envelope strings as templates: disabled
//   (they render nothing).
#include <cstddef>
#include <functional>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "herald/result.h"

namespace herald::render_internal {

inline constexpr size_t kMaxTemplateBytes = 128 * 1024;
inline constexpr int kMaxSectionDepth = 32;
inline constexpr size_t kMaxRenderSteps = 100'000;
inline constexpr size_t kMaxRenderedBytes = 2 * 1024 * 1024;

using Escaper = std::function<std::string(const std::string&)>;

// Escapers for values ({{name}}); {{{name}}} and {{&name}} never escape.
std::string NoEscape(const std::string& value);
std::string HtmlEscape(const std::string& value);        // kainjow's default: & < > " '
std::string JsonStringEscape(const std::string& value);  // content of a JSON string literal
std::string SlackEscape(const std::string& value);       // & < > as Slack's entities

// Converts JSON to mustache data: objects and arrays (as lists) keep their
// shape, numbers become their shortest text (integers without ".0"),
// booleans stay booleans (so {{#flag}} works; note {{flag}} renders nothing),
// null becomes false (renders nothing; {{^x}} sections render).
kainjow::mustache::data ToMustacheData(const nlohmann::json& value);

// Returns the deepest section nesting kainjow will build for `tmpl`, counting
// up to where kainjow would stop with a syntax error.
int SectionDepth(const std::string& tmpl);

// Returns OkStatus() when `tmpl` is a template RenderMustache accepts;
// otherwise an Error such as "invalid Mustache: Unclosed tag at 4".
Status CheckTemplate(const std::string& tmpl);

// Renders `tmpl` against `data`, escaping values with `escape`.
// Returns the output, or an Error for an invalid template or one exceeding
// the limits above (messages do not name the field; callers prefix it).
Result<std::string> RenderMustache(const std::string& tmpl, const kainjow::mustache::data& data, const Escaper& escape);

}  // namespace herald::render_internal
