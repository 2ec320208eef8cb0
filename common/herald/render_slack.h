#pragma once
// Slack specifics of rendering: Slack-escaping in mrkdwn text and the Block
// Kit limits Slack publishes (docs.slack.dev/reference/block-kit). A payload
// over a limit is refused by Slack with a 4xx; checking here makes it an
// `invalid` dead letter naming the block instead of a permanent delivery
// failure. Internal to herald_common; exposed for render.cc and tests.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

#include "herald/result.h"

namespace herald::render_internal {

inline constexpr size_t kSlackMaxBlocks = 50;             // per message
inline constexpr size_t kSlackMaxTextObjectChars = 3000;  // any text object, section text
inline constexpr size_t kSlackMaxHeaderChars = 150;
inline constexpr size_t kSlackMaxSectionFields = 10;
inline constexpr size_t kSlackMaxSectionFieldChars = 2000;
inline constexpr size_t kSlackMaxContextElements = 10;
inline constexpr size_t kSlackMaxActionsElements = 25;
inline constexpr size_t kSlackMaxBlockIdChars = 255;

// Given the same blocks rendered with plain JSON escaping (`plain`) and with
// Slack escaping added (`escaped`), returns `plain` with the "text" of every
// mrkdwn text object taken from `escaped`. Where the two differ in shape (a
// value used as a key), `plain` wins.
nlohmann::json MergeMrkdwnText(const nlohmann::json& plain, const nlohmann::json& escaped);

// Returns OkStatus() when `blocks` (an array) respects Slack's limits;
// otherwise an Error naming the block, e.g.
// "blocks[2].text.text: 3001 characters; Slack allows at most 3000".
Status CheckSlackBlocks(const nlohmann::json& blocks);

// Characters as Slack counts them: Unicode code points of UTF-8 text.
size_t Utf8Length(const std::string& s);

}  // namespace herald::render_internal
