#include "dispatch/mime.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herald::dispatch {
namespace {

using Clock = std::chrono::system_clock;

Clock::time_point At(long long unix_seconds) { return Clock::time_point{std::chrono::seconds{unix_seconds}}; }

EmailMessage Sample() {
  EmailMessage m;
  m.from = {"Herald", "herald", "example.com"};
  m.to = {{"", "ops", "example.com"}, {"Doe, John", "john", "example.org"}};
  m.subject = "Quota exceeded for checkout";
  m.text = "10500 of 10000 requests used.\n";
  m.html = "<p><b>checkout</b>: 10500 / 10000</p>";
  m.global_id = "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10";
  m.date = At(1795342500);
  m.extra_headers = {{"X-Herald-Global-Id", m.global_id}};
  return m;
}

std::string MustBuild(const EmailMessage& m) {
  auto out = BuildEmail(m);
  EXPECT_TRUE(out.ok()) << out.error();
  return out.ok() ? *out : std::string{};
}

std::vector<std::string> Lines(const std::string& message) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < message.size()) {
    std::size_t end = message.find("\r\n", pos);
    if (end == std::string::npos) end = message.size();
    out.push_back(message.substr(pos, end - pos));
    pos = end + 2;
  }
  return out;
}

std::string Headers(const std::string& message) { return message.substr(0, message.find("\r\n\r\n") + 2); }

TEST(FormatRfc5322Date, Table) {
  struct Case {
    long long unix_seconds;
    const char* want;
  } cases[] = {{0, "Thu, 01 Jan 1970 00:00:00 +0000"},
               {951868799, "Tue, 29 Feb 2000 23:59:59 +0000"},
               {1795342500, "Sun, 22 Nov 2026 10:15:00 +0000"}};
  for (const auto& c : cases) EXPECT_EQ(FormatRfc5322Date(At(c.unix_seconds)), c.want);
}

TEST(BuildEmail, WritesTheStandardHeaders) {
  const std::string headers = Headers(MustBuild(Sample()));
  for (const char* want : {
           "Date: Sun, 22 Nov 2026 10:15:00 +0000\r\n",
           "From: Herald <herald@example.com>\r\n",
           "To: ops@example.com, \"Doe, John\" <john@example.org>\r\n",
           "Subject: Quota exceeded for checkout\r\n",
           "Message-ID: <0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10@example.com>\r\n",
           "MIME-Version: 1.0\r\n",
           "X-Herald-Global-Id: 0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10\r\n",
           "Content-Type: multipart/alternative;\r\n boundary=\"=_herald_",
       }) {
    EXPECT_NE(headers.find(want), std::string::npos) << want << "\nin:\n" << headers;
  }
}

TEST(BuildEmail, MultipartHasTextThenHtmlBetweenBoundaries) {
  const std::string msg = MustBuild(Sample());
  const std::size_t b = msg.find("boundary=\"") + 10;
  const std::string boundary = msg.substr(b, msg.find('"', b) - b);
  ASSERT_EQ(boundary.size(), 9u + 32u) << boundary;
  const std::string delimiter = "\r\n--" + boundary + "\r\n";
  const std::size_t first = msg.find(delimiter);
  const std::size_t second = msg.find(delimiter, first + 1);
  const std::size_t close = msg.find("\r\n--" + boundary + "--\r\n");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  ASSERT_NE(close, std::string::npos);
  EXPECT_LT(first, second);
  EXPECT_LT(second, close);
  EXPECT_TRUE(msg.ends_with("--" + boundary + "--\r\n"));
  const std::string text_part = msg.substr(first, second - first);
  const std::string html_part = msg.substr(second, close - second);
  EXPECT_NE(text_part.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos) << text_part;
  EXPECT_NE(text_part.find("10500 of 10000 requests used."), std::string::npos) << text_part;
  EXPECT_NE(html_part.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos) << html_part;
  EXPECT_NE(html_part.find("<p><b>checkout</b>: 10500 / 10000</p>"), std::string::npos) << html_part;
}

TEST(BuildEmail, TextOnlyWhenThereIsNoHtml) {
  EmailMessage m = Sample();
  m.html.clear();
  const std::string msg = MustBuild(m);
  EXPECT_NE(msg.find("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                     "10500 of 10000 requests used.\r\n"),
            std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("multipart"), std::string::npos);
}

TEST(BuildEmail, OutputIsSevenBitCrlfAndWithinLineLimits) {
  std::string cjk, long_line, emoji_subject;
  for (int i = 0; i < 400; ++i) cjk += "\xE9\x85\x8D";
  for (int i = 0; i < 3000; ++i) long_line += static_cast<char>('a' + i % 26);
  for (int i = 0; i < 60; ++i) emoji_subject += "\xF0\x9F\x93\xA8 alert ";
  std::vector<EmailMessage> cases(5, Sample());
  cases[1].subject = emoji_subject;
  cases[1].text = cjk;
  cases[2].text = long_line;
  cases[2].html = long_line + "\n.\n.leading dot\r\n";
  cases[3].subject = long_line;
  cases[3].from.display_name = "Z\xC3\xB6" + std::string(200, 'e');
  for (int i = 0; i < 40; ++i) cases[4].to.push_back({"Recipient Number " + std::to_string(i), "r", "example.com"});
  for (const auto& m : cases) {
    const std::string msg = MustBuild(m);
    const std::string headers = Headers(msg);
    for (std::size_t i = 0; i < msg.size(); ++i) {
      const auto c = static_cast<unsigned char>(msg[i]);
      ASSERT_LT(c, 0x80) << "8-bit byte at " << i;
      if (c == '\n') {
        ASSERT_TRUE(i > 0 && msg[i - 1] == '\r') << "bare LF at " << i;
      }
      if (c == '\r') {
        ASSERT_TRUE(i + 1 < msg.size() && msg[i + 1] == '\n') << "bare CR at " << i;
      }
    }
    for (const std::string& line : Lines(headers)) EXPECT_LE(line.size(), 78u) << line;
    for (const std::string& line : Lines(msg.substr(headers.size()))) EXPECT_LE(line.size(), 76u) << line;
  }
}

TEST(BuildEmail, ChoosesTheShorterTransferEncoding) {
  EmailMessage m = Sample();
  m.html.clear();
  for (int i = 0; i < 100; ++i) m.text += "\xE9\x85\x8D";
  EXPECT_NE(MustBuild(m).find("Content-Transfer-Encoding: base64\r\n"), std::string::npos);
  m.text = "caf\xC3\xA9 au lait";
  EXPECT_NE(MustBuild(m).find("Content-Transfer-Encoding: quoted-printable\r\n"), std::string::npos);
}

TEST(BuildEmail, BoundaryNeverOccursInsideTheParts) {
  EmailMessage m = Sample();
  m.text = "--=_herald_0123456789abcdef0123456789abcdef\n--=_herald_\n=_herald_";
  m.html = m.text;
  for (int round = 0; round < 20; ++round) {
    const std::string msg = MustBuild(m);
    const std::size_t b = msg.find("boundary=\"") + 10;
    const std::string boundary = msg.substr(b, msg.find('"', b) - b);
    std::size_t count = 0;
    for (std::size_t pos = msg.find(boundary); pos != std::string::npos; pos = msg.find(boundary, pos + 1)) ++count;
    EXPECT_EQ(count, 4u) << "the header, two delimiters and the close, nothing else";
  }
}

TEST(BuildEmail, DataCannotInjectHeaders) {
  EmailMessage m = Sample();
  m.subject = "Hi\r\nBcc: evil@example.com\r\n\r\nbody";
  const std::string headers = Headers(MustBuild(m));
  EXPECT_NE(headers.find("Subject: Hi Bcc: evil@example.com  body\r\n"), std::string::npos) << headers;
  for (const std::string& line : Lines(headers)) EXPECT_FALSE(line.starts_with("Bcc")) << line;
  m.subject = "Ol\xC3\xA1\nBcc: evil@example.com";
  for (const std::string& line : Lines(Headers(MustBuild(m)))) EXPECT_FALSE(line.starts_with("Bcc")) << line;
}

TEST(BuildEmail, RejectsWithAReason) {
  struct Case {
    const char* name;
    void (*mutate)(EmailMessage&);
    const char* reason;
  } cases[] = {
      {"no recipients", [](EmailMessage& m) { m.to.clear(); }, "no recipients"},
      {"from name with CRLF", [](EmailMessage& m) { m.from.display_name = "Evil\r\nBcc: x"; }, "From: invalid"},
      {"from domain with LF", [](EmailMessage& m) { m.from.domain = "example.com\nBcc: x"; }, "control character"},
      {"to with comma", [](EmailMessage& m) { m.to[0].local_part = "a,b"; }, "contains ','"},
      {"to with empty domain", [](EmailMessage& m) { m.to[1].domain.clear(); }, "domain after '@' is empty"},
      {"to name not UTF-8", [](EmailMessage& m) { m.to[0].display_name = "\xC3"; }, "not valid UTF-8"},
      {"empty global id", [](EmailMessage& m) { m.global_id.clear(); }, "Message-ID"},
      {"global id with <", [](EmailMessage& m) { m.global_id = "a>b"; }, "Message-ID"},
      {"global id with CRLF", [](EmailMessage& m) { m.global_id = "a\r\nBcc: x"; }, "Message-ID"},
      {"subject not UTF-8", [](EmailMessage& m) { m.subject = "bad \xC3"; }, "subject is not valid UTF-8"},
      {"text not UTF-8", [](EmailMessage& m) { m.text = "bad \xFF"; }, "text body is not valid UTF-8"},
      {"html not UTF-8", [](EmailMessage& m) { m.html = "bad \xC0\xAF"; }, "HTML body is not valid UTF-8"},
      {"extra value with CRLF",
       [](EmailMessage& m) {
         m.extra_headers = {{"X-A", "1\r\nBcc: x"}};
       },
       "line break"},
      {"extra value with LF",
       [](EmailMessage& m) {
         m.extra_headers = {{"X-A", "1\nBcc: x"}};
       },
       "line break"},
      {"extra name with colon",
       [](EmailMessage& m) {
         m.extra_headers = {{"X-A: 1\r\nBcc", "x"}};
       },
       "letters"},
      {"extra name with space",
       [](EmailMessage& m) {
         m.extra_headers = {{"X A", "x"}};
       },
       "letters"},
      {"extra name empty",
       [](EmailMessage& m) {
         m.extra_headers = {{"", "x"}};
       },
       "empty name"},
      {"extra Bcc",
       [](EmailMessage& m) {
         m.extra_headers = {{"bcc", "evil@example.com"}};
       },
       "cannot be overridden"},
      {"extra Sender",
       [](EmailMessage& m) {
         m.extra_headers = {{"SENDER", "x@example.com"}};
       },
       "cannot be overridden"},
      {"extra Subject",
       [](EmailMessage& m) {
         m.extra_headers = {{"Subject", "x"}};
       },
       "cannot be overridden"},
      {"extra Content-Type",
       [](EmailMessage& m) {
         m.extra_headers = {{"Content-Type", "x"}};
       },
       "cannot be overridden"},
      {"extra value not UTF-8",
       [](EmailMessage& m) {
         m.extra_headers = {{"X-A", "\xFF"}};
       },
       "not valid UTF-8"},
  };
  for (const auto& c : cases) {
    EmailMessage m = Sample();
    c.mutate(m);
    auto out = BuildEmail(m);
    ASSERT_FALSE(out.ok()) << c.name;
    EXPECT_NE(out.error().find(c.reason), std::string::npos) << c.name << ": " << out.error();
    EXPECT_EQ(out.error().find_first_of("\r\n"), std::string::npos) << c.name << ": reason must be one line";
  }
}

}  // namespace
}  // namespace herald::dispatch
