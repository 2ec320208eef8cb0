#include "dispatch/transcript.h"

#include <algorithm>
#include <cctype>

namespace herald::dispatch {
namespace {

bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), s.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
         });
}

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == s.npos) return {};
  return s.substr(begin, s.find_last_not_of(kSpace) - begin + 1);
}

// Splits `data` into lines ending in '\n', carrying an unfinished line over in
// `partial`, and calls `on_line` with each complete line (without CR/LF).
template <typename F>
void ForEachLine(std::string& partial, std::string_view data, F on_line) {
  while (!data.empty()) {
    size_t nl = data.find('\n');
    if (nl == data.npos) {
      partial.append(data);
      return;
    }
    partial.append(data.substr(0, nl));
    data.remove_prefix(nl + 1);
    std::string_view line = partial;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    on_line(line);
    partial.clear();
  }
}

// Returns the reply code of a final reply line ("250 ok", "250"), or nullopt
// for a continuation line ("250-ok") or anything that is not a reply.
std::optional<int> FinalReplyCode(std::string_view line) {
  if (line.size() < 3 || !std::all_of(line.begin(), line.begin() + 3, [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  if (line.size() > 3 && line[3] != ' ') return std::nullopt;
  return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

}  // namespace

void HttpResponseCapture::OnHeaderLine(std::string_view line) {
  if (StartsWithIgnoreCase(line, "HTTP/")) {
    retry_after_.reset();
    return;
  }
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (!retry_after_ && StartsWithIgnoreCase(line, kRetryAfter)) {
    retry_after_ = std::string(Trim(line.substr(kRetryAfter.size())));
  }
}

void HttpResponseCapture::OnBody(std::string_view data) {
  size_t room = max_body_bytes_ - std::min(max_body_bytes_, body_.size());
  if (data.size() > room) truncated_ = true;
  body_.append(data.substr(0, room));
}

void SmtpTranscript::OnSent(std::string_view data) {
  ForEachLine(sent_partial_, data, [this](std::string_view line) { SentLine(line); });
}

void SmtpTranscript::OnReceived(std::string_view data) {
  ForEachLine(received_partial_, data, [this](std::string_view line) { ReceivedLine(line); });
}

void SmtpTranscript::SentLine(std::string_view line) {
  constexpr std::string_view kRcpt = "RCPT TO:";
  quitting_ = StartsWithIgnoreCase(line, "QUIT");
  if (!StartsWithIgnoreCase(line, kRcpt)) {
    pending_rcpt_.reset();
    return;
  }
  std::string_view address = Trim(line.substr(kRcpt.size()));
  if (!address.empty() && address.front() == '<') {
    size_t close = address.find('>');
    address = address.substr(1, close == address.npos ? address.npos : close - 1);
  }
  pending_rcpt_ = std::string(address);
}

void SmtpTranscript::ReceivedLine(std::string_view line) {
  if (!quitting_) last_reply_ = line;
  std::optional<int> code = FinalReplyCode(line);
  if (!code || !pending_rcpt_) return;
  if (*code >= 400) refused_.push_back({std::move(*pending_rcpt_), *code, std::string(line)});
  pending_rcpt_.reset();
}

}  // namespace herald::dispatch
