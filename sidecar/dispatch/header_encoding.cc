#include "dispatch/header_encoding.h"

#include <algorithm>
#include <cstddef>

#include "dispatch/base64.h"
#include "dispatch/utf8.h"

namespace herald::dispatch {
namespace {

constexpr std::string_view kWordPrefix = "=?UTF-8?B?";
constexpr std::string_view kWordSuffix = "?=";
// RFC 2047 allows 75 characters per encoded-word; 60 lets even the first word
// share a line with a header name ("Subject: " + 60 < 78), since the first
// word cannot move to a continuation line (see FoldHeader).
constexpr std::size_t kMaxWord = 60;
constexpr std::size_t kMaxWordBytes = (kMaxWord - kWordPrefix.size() - kWordSuffix.size()) / 4 * 3;  // 36
constexpr std::size_t kMaxRun = 75;
constexpr std::size_t kSoftLimit = 78;  // RFC 5322 2.1.1

bool IsAtext(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

bool IsPrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7E) return false;
  }
  return true;
}

bool HasLongRun(std::string_view text) {
  std::size_t run = 0;
  for (char c : text) {
    run = c == ' ' ? 0 : run + 1;
    if (run > kMaxRun) return true;
  }
  return false;
}

}  // namespace

std::string NeutraliseControls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    out += (c < 0x20 || c == 0x7F) ? ' ' : text[i];
  }
  return out;
}

std::string EncodeWords(std::string_view utf8) {
  std::string out;
  std::size_t pos = 0;
  while (pos < utf8.size()) {
    std::size_t end = pos;
    while (end < utf8.size()) {
      // Invalid bytes count as one-byte sequences: they are still encoded, never dropped.
      const std::size_t len = std::max<std::size_t>(1, Utf8SequenceLength(utf8, end));
      if (end + len - pos > kMaxWordBytes) break;
      end += len;
    }
    if (!out.empty()) out += ' ';
    out.append(kWordPrefix).append(Base64Encode(utf8.substr(pos, end - pos))).append(kWordSuffix);
    pos = end;
  }
  return out;
}

std::string EncodeUnstructured(std::string_view utf8) {
  const std::string text = NeutraliseControls(utf8);
  if (IsPrintableAscii(text) && text.find("=?") == std::string::npos && !HasLongRun(text)) return text;
  return EncodeWords(text);
}

std::string EncodePhrase(std::string_view utf8) {
  const std::string text = NeutraliseControls(utf8);
  if (text.empty()) return text;
  // "=?" is encoded too: many readers (Python's email package among them)
  // decode encoded-words even inside quoted-strings, against RFC 2047 5.
  if (!IsPrintableAscii(text) || HasLongRun(text) || text.find("=?") != std::string::npos) return EncodeWords(text);
  bool atoms_only = text.front() != ' ' && text.back() != ' ';
  for (char c : text) atoms_only = atoms_only && (IsAtext(c) || c == ' ');
  if (atoms_only) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string FoldHeader(std::string_view name, std::string_view value) {
  // The first word always stays on the name's line: parsers such as Python's
  // keep a fold right after the colon as a leading space of the value.
  const std::string text = " " + NeutraliseControls(value);
  std::string out(name);
  out += ':';
  std::size_t line_length = out.size();
  // Each segment is the spaces before a word plus the word. Breaking before a
  // segment puts CRLF in front of its spaces, so unfolding (removing CRLF)
  // restores the value exactly and a continuation line always has a word.
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = pos;
    while (end < text.size() && text[end] == ' ') ++end;
    const std::size_t word_start = end;
    while (end < text.size() && text[end] != ' ') ++end;
    const std::string_view segment = std::string_view(text).substr(pos, end - pos);
    if (pos > 0 && end > word_start && line_length + segment.size() > kSoftLimit) {
      out += "\r\n";
      line_length = 0;
    }
    out += segment;
    line_length += segment.size();
    pos = end;
  }
  out += "\r\n";
  return out;
}

}  // namespace herald::dispatch
