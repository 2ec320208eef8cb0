#include "dispatch/address.h"

#include <gtest/gtest.h>

#include <string>

namespace herald::dispatch {
namespace {

TEST(ParseMailbox, AcceptsNameAddrAndBareAddresses) {
  struct Case {
    std::string in, name, local, domain;
  } cases[] = {
      {"ops@example.com", "", "ops", "example.com"},
      {"  ops@example.com  ", "", "ops", "example.com"},
      {"<ops@example.com>", "", "ops", "example.com"},
      {"Herald <herald@example.com>", "Herald", "herald", "example.com"},
      {"Herald Bot<herald@example.com>", "Herald Bot", "herald", "example.com"},
      {"\"Doe, John\" <john.doe@mail.example.org>", "Doe, John", "john.doe", "mail.example.org"},
      {"\"say \\\"hi\\\" \\\\o/\" <a@b.c>", "say \"hi\" \\o/", "a", "b.c"},
      {"\"a <b@c>\" <real@example.com>", "a <b@c>", "real", "example.com"},
      {"Zo\xC3\xAB <zoe@example.com>", "Zo\xC3\xAB", "zoe", "example.com"},
      {"first.last+tag@sub-domain.example.co", "", "first.last+tag", "sub-domain.example.co"},
      {"o'brien@localhost", "", "o'brien", "localhost"},
      {"x@xn--bcher-kva.example", "", "x", "xn--bcher-kva.example"},
  };
  for (const auto& c : cases) {
    auto m = ParseMailbox(c.in);
    ASSERT_TRUE(m.ok()) << c.in << ": " << m.error();
    EXPECT_EQ(m->display_name, c.name) << c.in;
    EXPECT_EQ(m->local_part, c.local) << c.in;
    EXPECT_EQ(m->domain, c.domain) << c.in;
    EXPECT_EQ(m->address(), c.local + "@" + c.domain);
  }
}

TEST(ParseMailbox, RejectsWithAReason) {
  const std::string long_local(65, 'a');
  const std::string long_label(64, 'a');
  struct Case {
    std::string in, reason;
  } cases[] = {
      {"", "empty"},
      {"   ", "empty"},
      {"ops@example.com\r\nBcc: evil@example.com", "line break"},
      {"Evil\r\nBcc: x <ops@example.com>", "line break"},
      {"ops@exa\nmple.com", "line break"},
      {std::string("ops@example.com\0", 16), "control character"},
      {"opsexample.com", "no '@'"},
      {"@example.com", "before '@' is empty"},
      {"ops@", "domain after '@' is empty"},
      {"a@b, c@d", "contains ','"},
      {"a@b;c@d", "contains ';'"},
      {"a b@example.com", "contains ' '"},
      {"a<b@example.com", "unbalanced"},
      {"Name <a@b.c", "unbalanced"},
      {"Name a@b.c>", "unbalanced"},
      {"Name <a@b.c> trailing", "follows the closing '>'"},
      {"<<a@b.c>>", "'<' or '>' in the display name"},
      {"Na<me <a@b.c>", "'<' or '>' in the display name"},
      {"\"unclosed <a@b.c>", "not closed"},
      {"Stray \" quote <a@b.c>", "stray"},
      {"\"Name\" extra <a@b.c>", "follows the display name"},
      {"Bad \xC3 <a@b.c>", "not valid UTF-8"},
      {"\"quoted local\"@example.com", "quoted local parts"},
      {".ops@example.com", "leading, trailing or double '.'"},
      {"o..ps@example.com", "leading, trailing or double '.'"},
      {"op(s)@example.com", "contains '('"},
      {long_local + "@example.com", "longer than 64"},
      {"ops@[192.0.2.1]", "domain literals"},
      {"ops@example..com", "empty label"},
      {"ops@-example.com", "starts or ends with '-'"},
      {"ops@exa_mple.com", "contains '_'"},
      {"ops@" + long_label + ".com", "longer than 63"},
      {"ops@b\xC3\xBC"
       "cher.example",
       "punycode"},
      {"j\xC3\xB6rg@example.com", "SMTPUTF8"},
      {"a@b@example.com", "contains '@'"},
  };
  for (const auto& c : cases) {
    auto m = ParseMailbox(c.in);
    ASSERT_FALSE(m.ok()) << testing::PrintToString(c.in);
    EXPECT_NE(m.error().find(c.reason), std::string::npos) << testing::PrintToString(c.in) << " -> " << m.error();
    EXPECT_EQ(m.error().find_first_of("\r\n"), std::string::npos) << "the reason must be one line";
  }
}

TEST(ParseMailbox, RejectsOverlongAddress) {
  std::string domain;
  for (int i = 0; i < 4; ++i) domain += std::string(60, 'd') + ".";
  domain += "com";  // 247 characters: a valid domain
  auto m = ParseMailbox("abcdefgh@" + domain);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().find("longer than 254"), std::string::npos) << m.error();
}

TEST(ValidateMailbox, AppliesParseRulesToBuiltMailboxes) {
  struct Case {
    Mailbox in;
    const char* reason;  // nullptr: valid
  } cases[] = {
      {{"Herald", "herald", "example.com"}, nullptr},    {{"", "ops", "localhost"}, nullptr},
      {{"Zo\xC3\xAB", "z", "example.com"}, nullptr},     {{"Evil\r\nBcc: x", "a", "example.com"}, "control character"},
      {{"\xC3", "a", "example.com"}, "not valid UTF-8"}, {{"", "a\r\nBcc: x", "example.com"}, "control character"},
      {{"", "a", "example.com>"}, "contains '>'"},       {{"", "a@b", "example.com"}, "contains '@'"},
      {{"", "", "example.com"}, "before '@' is empty"},  {{"", "a", "exa mple.com"}, "contains ' '"},
  };
  for (const auto& c : cases) {
    const Status st = ValidateMailbox(c.in);
    if (c.reason == nullptr) {
      EXPECT_TRUE(st.ok()) << c.in.address() << ": " << st.error();
    } else {
      ASSERT_FALSE(st.ok()) << testing::PrintToString(c.in.address());
      EXPECT_NE(st.error().find(c.reason), std::string::npos) << st.error();
      EXPECT_EQ(st.error().find_first_of("\r\n"), std::string::npos) << "the reason must be one line";
    }
  }
}

TEST(FormatMailbox, WritesHeaderForm) {
  struct Case {
    Mailbox in;
    std::string want;
  } cases[] = {{{"", "ops", "example.com"}, "ops@example.com"},
               {{"Herald", "herald", "example.com"}, "Herald <herald@example.com>"},
               {{"Doe, John", "j", "example.com"}, "\"Doe, John\" <j@example.com>"},
               {{"Zo\xC3\xAB", "z", "example.com"}, "=?UTF-8?B?Wm/Dqw==?= <z@example.com>"}};
  for (const auto& c : cases) EXPECT_EQ(FormatMailbox(c.in), c.want);
}

TEST(IsDotAtom, Table) {
  for (const char* yes : {"a", "a.b", "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10", "x+y_z"})
    EXPECT_TRUE(IsDotAtom(yes)) << yes;
  for (const char* no : {"", ".a", "a.", "a..b", "a b", "a@b", "<a>"}) EXPECT_FALSE(IsDotAtom(no)) << no;
}

}  // namespace
}  // namespace herald::dispatch
