// Feeds built messages to Python's email package (policy.default, the strict
// modern parser) to prove that a real, independent MIME implementation reads
// back what was meant: decoded subject and names, addresses, Message-ID, date,
// parts and their text, and no parser defects.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dispatch/mime.h"

namespace herald::dispatch {
namespace {

constexpr const char* kParser = R"PY(
import email, json, sys
from email import policy

msg = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=policy.default)

def defects(m):
    found = [type(d).__name__ for d in m.defects]
    for name, value in m.items():
        found += [name + ':' + type(d).__name__ for d in getattr(value, 'defects', ())]
    return found

def mailboxes(header):
    return [[a.display_name, a.addr_spec] for a in msg[header].addresses]

parts = list(msg.iter_parts()) if msg.is_multipart() else [msg]
print(json.dumps({
    'subject': str(msg['subject']),
    'from': mailboxes('from'),
    'to': mailboxes('to'),
    'message_id': str(msg['message-id']),
    'date': msg['date'].datetime.isoformat(),
    'content_type': msg.get_content_type(),
    'headers': [[k.lower(), str(v)] for k, v in msg.items()],
    'defects': defects(msg) + [d for p in parts for d in defects(p)],
    'parts': [{'type': p.get_content_type(), 'charset': p.get_content_charset(),
               'cte': p.get('content-transfer-encoding'),
               'content': p.get_content().replace('\r\n', '\n')} for p in parts],
}))
)PY";

// Returns what the Python script printed for `message`, parsed; fails the test
// when python3 cannot run or prints something that is not JSON.
nlohmann::json ParseWithPython(const std::string& message) {
  // Per-process names: other build directories may run this test at the same time.
  const std::string prefix = testing::TempDir() + "herald_mime_" + std::to_string(getpid());
  const std::string script = prefix + ".py";
  const std::string input = prefix + ".eml";
  std::ofstream(script, std::ios::binary) << kParser;
  std::ofstream(input, std::ios::binary) << message;
  const std::string command = std::string(HERALD_PYTHON3) + " '" + script + "' '" + input + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return {};
  }
  std::string output;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
  const int status = pclose(pipe);
  std::remove(script.c_str());
  std::remove(input.c_str());
  if (status != 0) {
    ADD_FAILURE() << "python3 failed (is python3 installed?): " << command << "\n" << output;
    return {};
  }
  auto parsed = nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) ADD_FAILURE() << "not JSON: " << output;
  return parsed;
}

std::string Lf(std::string s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

TEST(BuildEmailParsedByPython, ReadsBackWhatWasMeant) {
  std::string long_text, cjk;
  for (int i = 0; i < 200; ++i) long_text += "word" + std::to_string(i) + (i % 50 == 49 ? "\n" : " ");
  for (int i = 0; i < 300; ++i) cjk += "\xE9\x85\x8D";
  std::string long_subject;
  for (int i = 0; i < 30; ++i) long_subject += "Caf\xC3\xA9 \xF0\x9F\x93\xA8 \xE9\x85\x8D ";

  struct Case {
    const char* name;
    std::string from_name, subject, text, html;
    std::vector<Mailbox> to;
    std::string want_subject;  // defaults to subject
  } cases[] = {
      {"ascii",
       "Herald",
       "Quota exceeded for checkout",
       "10500 of 10000 requests used.\n",
       "<p><b>checkout</b>: 10500 / 10000</p>",
       {{"", "ops", "example.com"}},
       ""},
      {"non-ascii subject and names",
       "H\xC3\xA9rald \xF0\x9F\x94\x94",
       long_subject,
       cjk,
       "<p>" + cjk + "</p>",
       {{"J\xC3\xBCrgen M\xC3\xBCller", "jm", "example.de"}, {"Doe, John", "j", "example.org"}},
       ""},
      {"injection attempt",
       "Ops",
       "Hi\r\nBcc: evil@example.com",
       "line one\r\n.\r\n.dot\nFrom me\n",
       "",
       {{"", "ops", "example.com"}},
       "Hi Bcc: evil@example.com"},
      {"spoofed encoded-word and specials",
       "\"Boss\" (CEO) =?UTF-8?B?RXZpbA==?=",
       "=?UTF-8?B?RXZpbA==?= x",
       long_text,
       long_text,
       {{"a@b", "x", "example.com"}},
       ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EmailMessage m;
    m.from = {c.from_name, "herald", "example.com"};
    m.to = c.to;
    m.subject = c.subject;
    m.text = c.text;
    m.html = c.html;
    m.global_id = "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10";
    m.date = std::chrono::system_clock::time_point{std::chrono::seconds{1795342500}};
    m.extra_headers = {{"X-Herald-Global-Id", m.global_id}, {"X-Herald-Note", "r\xC3\xA9sum\xC3\xA9"}};
    auto built = BuildEmail(m);
    ASSERT_TRUE(built.ok()) << built.error();
    const nlohmann::json got = ParseWithPython(*built);
    ASSERT_TRUE(got.is_object()) << *built;

    EXPECT_EQ(got["defects"], nlohmann::json::array()) << *built;
    EXPECT_EQ(got["subject"], c.want_subject.empty() ? c.subject : c.want_subject);
    EXPECT_EQ(got["from"], nlohmann::json::array({{c.from_name, "herald@example.com"}}));
    nlohmann::json want_to = nlohmann::json::array();
    for (const auto& r : c.to) want_to.push_back({r.display_name, r.address()});
    EXPECT_EQ(got["to"], want_to);
    EXPECT_EQ(got["message_id"], "<0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10@example.com>");
    EXPECT_EQ(got["date"], "2026-11-22T10:15:00+00:00");
    int bcc = 0, note = 0;
    for (const auto& h : got["headers"]) {
      bcc += h[0] == "bcc";
      if (h[0] == "x-herald-note") note += h[1] == "r\xC3\xA9sum\xC3\xA9";
    }
    EXPECT_EQ(bcc, 0);
    EXPECT_EQ(note, 1);

    const auto& parts = got["parts"];
    if (c.html.empty()) {
      EXPECT_EQ(got["content_type"], "text/plain");
      ASSERT_EQ(parts.size(), 1u);
      // A single-part body gains a final line break only if it had none.
      const std::string want = Lf(c.text).ends_with("\n") ? Lf(c.text) : Lf(c.text) + "\n";
      EXPECT_EQ(parts[0]["content"], want);
    } else {
      EXPECT_EQ(got["content_type"], "multipart/alternative");
      ASSERT_EQ(parts.size(), 2u);
      EXPECT_EQ(parts[0]["type"], "text/plain");
      EXPECT_EQ(parts[1]["type"], "text/html");
      EXPECT_EQ(parts[0]["content"], Lf(c.text));
      EXPECT_EQ(parts[1]["content"], Lf(c.html));
    }
    for (const auto& p : parts) EXPECT_EQ(p["charset"], "utf-8");
  }
}

}  // namespace
}  // namespace herald::dispatch
