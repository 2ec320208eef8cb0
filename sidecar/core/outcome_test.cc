#include "sidecar/core/outcome.h"

#include <gtest/gtest.h>

#include <sstream>

using namespace std::chrono_literals;

namespace herald::sidecar {
namespace {

using std::chrono::nanoseconds;
using TE = TransportError;
using V = Verdict;
using CK = ChannelKind;

const WallTime kNow = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
constexpr const char* kTeamsWrapped429 =
    "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId "
    "tcid=0,server=msgapi-production,cv=abc..";
constexpr const char* kTeamsWrapped413 =
    "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with ContextId x";

struct HttpCase {
  const char* name;
  CK kind;
  TE transport;
  int status;
  const char* body;
  std::optional<std::string_view> retry_after;
  V want;
  bool want_throttle;
  std::optional<nanoseconds> want_retry_after;
  const char* reason_has;
};

TEST(ClassifyHttp, Table) {
  const HttpCase cases[] = {
      // Success.
      {"webhook 200", CK::kWebhook, TE::kNone, 200, "", {}, V::kDelivered, false, {}, "HTTP 200"},
      {"webhook 204", CK::kWebhook, TE::kNone, 204, "", {}, V::kDelivered, false, {}, "HTTP 204"},
      {"teams workflow 202", CK::kTeams, TE::kNone, 202, "", {}, V::kDelivered, false, {}, "HTTP 202"},
      {"webhook bodies are not read", CK::kWebhook, TE::kNone, 200, "invalid_blocks", {}, V::kDelivered, false, {}, ""},
      {"slack ok", CK::kSlack, TE::kNone, 200, "ok", {}, V::kDelivered, false, {}, "HTTP 200"},
      {"slack ok newline", CK::kSlack, TE::kNone, 200, "ok\n", {}, V::kDelivered, false, {}, ""},
      {"slack empty body", CK::kSlack, TE::kNone, 200, "", {}, V::kDelivered, false, {}, ""},
      {"slack json ok", CK::kSlack, TE::kNone, 200, R"({"ok":true})", {}, V::kDelivered, false, {}, ""},
      {"slack html from a proxy", CK::kSlack, TE::kNone, 200, "<html>fine</html>", {}, V::kDelivered, false, {}, ""},
      // Slack errors inside a 200.
      {"slack invalid_blocks",
       CK::kSlack,
       TE::kNone,
       200,
       "invalid_blocks",
       {},
       V::kPermanent,
       false,
       {},
       "slack error invalid_blocks"},
      {"slack invalid_payload",
       CK::kSlack,
       TE::kNone,
       200,
       "invalid_payload",
       {},
       V::kPermanent,
       false,
       {},
       "invalid_payload"},
      {"slack channel_not_found",
       CK::kSlack,
       TE::kNone,
       200,
       "channel_not_found",
       {},
       V::kPermanent,
       false,
       {},
       "channel_not_found"},
      {"slack no_text", CK::kSlack, TE::kNone, 200, "no_text\n", {}, V::kPermanent, false, {}, "no_text"},
      {"slack unknown token",
       CK::kSlack,
       TE::kNone,
       200,
       "some_new_error",
       {},
       V::kPermanent,
       false,
       {},
       "some_new_error"},
      {"slack json error",
       CK::kSlack,
       TE::kNone,
       200,
       R"({"ok":false,"error":"invalid_blocks"})",
       {},
       V::kPermanent,
       false,
       {},
       "invalid_blocks"},
      {"slack json error without name",
       CK::kSlack,
       TE::kNone,
       200,
       R"({"ok":false})",
       {},
       V::kPermanent,
       false,
       {},
       "unknown_error"},
      {"slack transient token",
       CK::kSlack,
       TE::kNone,
       200,
       "rollup_error",
       {},
       V::kRetryable,
       false,
       {},
       "rollup_error"},
      {"slack rate_limited token",
       CK::kSlack,
       TE::kNone,
       200,
       "rate_limited",
       {},
       V::kRetryable,
       true,
       {},
       "rate_limited"},
      // Slack errors with their own status.
      {"slack 400 invalid_payload",
       CK::kSlack,
       TE::kNone,
       400,
       "invalid_payload",
       {},
       V::kPermanent,
       false,
       {},
       "HTTP 400: invalid_payload"},
      {"slack 403 action_prohibited",
       CK::kSlack,
       TE::kNone,
       403,
       "action_prohibited",
       {},
       V::kPermanent,
       false,
       {},
       "action_prohibited"},
      {"slack 404 channel_not_found",
       CK::kSlack,
       TE::kNone,
       404,
       "channel_not_found",
       {},
       V::kPermanent,
       false,
       {},
       "HTTP 404: channel_not_found"},
      {"slack 410 channel_is_archived",
       CK::kSlack,
       TE::kNone,
       410,
       "channel_is_archived",
       {},
       V::kPermanent,
       false,
       {},
       "channel_is_archived"},
      {"slack 500 rollup_error",
       CK::kSlack,
       TE::kNone,
       500,
       "rollup_error",
       {},
       V::kRetryable,
       false,
       {},
       "HTTP 500: rollup_error"},
      {"slack 429", CK::kSlack, TE::kNone, 429, "", "30", V::kRetryable, true, 30s, "HTTP 429"},
      // Teams legacy connector wrappers.
      {"teams wrapped 429",
       CK::kTeams,
       TE::kNone,
       200,
       kTeamsWrapped429,
       {},
       V::kRetryable,
       true,
       {},
       "teams connector failed with HTTP 429"},
      {"teams wrapped 413", CK::kTeams, TE::kNone, 200, kTeamsWrapped413, {}, V::kPermanent, false, {}, "HTTP 413"},
      {"teams wrapped, no code",
       CK::kTeams,
       TE::kNone,
       200,
       "Webhook message delivery failed with error: boom",
       {},
       V::kRetryable,
       false,
       {},
       "teams connector failed"},
      // Rate limiting and Retry-After.
      {"429 no header", CK::kWebhook, TE::kNone, 429, "", {}, V::kRetryable, true, {}, "HTTP 429"},
      {"429 delta", CK::kWebhook, TE::kNone, 429, "", "7", V::kRetryable, true, 7s, ""},
      {"429 date", CK::kWebhook, TE::kNone, 429, "", "Thu, 01 Jan 2026 00:01:30 GMT", V::kRetryable, true, 90s, ""},
      {"429 capped", CK::kWebhook, TE::kNone, 429, "", "86400", V::kRetryable, true, 600s, ""},
      {"429 garbage header", CK::kWebhook, TE::kNone, 429, "", "later", V::kRetryable, true, {}, ""},
      {"503 with Retry-After", CK::kWebhook, TE::kNone, 503, "", "5", V::kRetryable, true, 5s, "HTTP 503"},
      {"503 without", CK::kWebhook, TE::kNone, 503, "", {}, V::kRetryable, false, {}, "HTTP 503"},
      {"500 with Retry-After", CK::kWebhook, TE::kNone, 500, "", "3", V::kRetryable, false, 3s, ""},
      // Other statuses.
      {"500", CK::kWebhook, TE::kNone, 500, "oops", {}, V::kRetryable, false, {}, "HTTP 500: oops"},
      {"502", CK::kTeams, TE::kNone, 502, "", {}, V::kRetryable, false, {}, "HTTP 502"},
      {"504", CK::kWebhook, TE::kNone, 504, "", {}, V::kRetryable, false, {}, ""},
      {"408", CK::kWebhook, TE::kNone, 408, "", {}, V::kRetryable, false, {}, "HTTP 408"},
      {"425", CK::kWebhook, TE::kNone, 425, "", {}, V::kRetryable, false, {}, ""},
      {"400", CK::kWebhook, TE::kNone, 400, "bad", {}, V::kPermanent, false, {}, "HTTP 400: bad"},
      {"401", CK::kWebhook, TE::kNone, 401, "", {}, V::kPermanent, false, {}, ""},
      {"403", CK::kTeams, TE::kNone, 403, "", {}, V::kPermanent, false, {}, ""},
      {"404", CK::kWebhook, TE::kNone, 404, "", {}, V::kPermanent, false, {}, ""},
      {"413", CK::kWebhook, TE::kNone, 413, "", {}, V::kPermanent, false, {}, ""},
      {"422", CK::kWebhook, TE::kNone, 422, "", {}, V::kPermanent, false, {}, ""},
      {"301 not followed", CK::kWebhook, TE::kNone, 301, "", {}, V::kPermanent, false, {}, "HTTP 301"},
      {"1xx as final", CK::kWebhook, TE::kNone, 100, "", {}, V::kPermanent, false, {}, ""},
      {"beyond 599", CK::kWebhook, TE::kNone, 600, "", {}, V::kPermanent, false, {}, "HTTP 600"},
      // No response: the transport decides.
      {"timeout", CK::kWebhook, TE::kTimeout, 0, "", {}, V::kRetryable, false, {}, "timeout"},
      {"dns", CK::kWebhook, TE::kDnsFailure, 0, "", {}, V::kRetryable, false, {}, "dns failure"},
      {"refused", CK::kSlack, TE::kConnectFailed, 0, "", {}, V::kRetryable, false, {}, "connect failed"},
      {"connection lost", CK::kWebhook, TE::kConnectionLost, 0, "", {}, V::kRetryable, false, {}, ""},
      {"tls handshake", CK::kWebhook, TE::kTlsHandshake, 0, "", {}, V::kRetryable, false, {}, "tls handshake"},
      {"tls certificate", CK::kWebhook, TE::kTlsCertificate, 0, "", {}, V::kPermanent, false, {}, "certificate"},
      {"bad url", CK::kWebhook, TE::kBadRequest, 0, "", {}, V::kPermanent, false, {}, ""},
      {"other", CK::kWebhook, TE::kOther, 0, "", {}, V::kRetryable, false, {}, ""},
      {"nothing at all", CK::kWebhook, TE::kNone, 0, "", {}, V::kRetryable, false, {}, "no HTTP response"},
      // Both a status and a transport error.
      {"2xx then timeout", CK::kWebhook, TE::kTimeout, 200, "", {}, V::kRetryable, false, {}, "timeout after HTTP 200"},
      {"slack ok then lost", CK::kSlack, TE::kConnectionLost, 200, "o", {}, V::kRetryable, false, {}, "after HTTP 200"},
      {"404 then timeout", CK::kWebhook, TE::kTimeout, 404, "", {}, V::kPermanent, false, {}, "HTTP 404"},
      {"503 then lost", CK::kWebhook, TE::kConnectionLost, 503, "", {}, V::kRetryable, false, {}, "HTTP 503"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    HttpReply r;
    r.transport = c.transport;
    r.transport_detail = c.transport == TE::kNone ? "" : "curl says so";
    r.status = c.status;
    r.body = c.body;
    r.retry_after = c.retry_after;
    Outcome o = ClassifyHttp(c.kind, r, kNow);
    EXPECT_EQ(o.verdict, c.want);
    EXPECT_EQ(o.throttle_channel, c.want_throttle);
    EXPECT_EQ(o.retry_after, c.want_retry_after);
    EXPECT_NE(o.reason.find(c.reason_has), std::string::npos) << o.reason;
    EXPECT_FALSE(o.reason.empty());
  }
}

TEST(ClassifyHttp, ReasonIsOneBoundedLine) {
  std::string body = "line one\r\nline two\t" + std::string(1000, 'x');
  HttpReply r{TE::kNone, "", 500, body, std::nullopt};
  Outcome o = ClassifyHttp(CK::kWebhook, r, kNow);
  EXPECT_EQ(o.reason.find('\n'), std::string::npos);
  EXPECT_EQ(o.reason.find('\r'), std::string::npos);
  EXPECT_LT(o.reason.size(), 240u);
  EXPECT_EQ(o.reason.substr(0, 22), "HTTP 500: line one  li");
  EXPECT_EQ(o.reason.substr(o.reason.size() - 3), "...");
}

TEST(ClassifyHttp, TruncationKeepsUtf8Whole) {
  // 199 ASCII bytes then a 2-byte 'é' straddling the 200-byte cut.
  std::string body = std::string(199, 'a') + "\xc3\xa9" + "tail";
  HttpReply r{TE::kNone, "", 400, body, std::nullopt};
  Outcome o = ClassifyHttp(CK::kWebhook, r, kNow);
  EXPECT_EQ(o.reason, "HTTP 400: " + std::string(199, 'a') + "...");
}

TEST(ClassifySmtp, Table) {
  struct Case {
    const char* name;
    TE transport;
    int code;
    const char* text;
    V want;
    const char* reason_has;
  } cases[] = {
      {"250", TE::kNone, 250, "2.0.0 Ok: queued", V::kDelivered, "SMTP 250"},
      {"clean, no code", TE::kNone, 0, "", V::kDelivered, "SMTP accepted"},
      {"421 closing", TE::kNone, 421, "4.3.0 try later", V::kRetryable, "SMTP 421: 4.3.0 try later"},
      {"450 mailbox busy", TE::kNone, 450, "", V::kRetryable, "SMTP 450"},
      {"451 local error", TE::kNone, 451, "", V::kRetryable, ""},
      {"452 storage", TE::kNone, 452, "", V::kRetryable, ""},
      {"535 auth failed", TE::kNone, 535, "5.7.8 bad credentials", V::kPermanent, "SMTP 535"},
      {"550 no such user", TE::kNone, 550, "5.1.1 unknown", V::kPermanent, "5.1.1 unknown"},
      {"552 too big", TE::kNone, 552, "", V::kPermanent, ""},
      {"554 rejected", TE::kNone, 554, "", V::kPermanent, ""},
      {"550 with transport error", TE::kConnectionLost, 550, "", V::kPermanent, "SMTP 550"},
      {"451 with transport error", TE::kConnectionLost, 451, "", V::kRetryable, "SMTP 451"},
      {"250 then lost", TE::kConnectionLost, 250, "", V::kRetryable, "connection lost after SMTP 250"},
      {"timeout", TE::kTimeout, 0, "", V::kRetryable, "timeout"},
      {"refused", TE::kConnectFailed, 0, "", V::kRetryable, ""},
      {"starttls handshake", TE::kTlsHandshake, 0, "", V::kRetryable, ""},
      {"certificate", TE::kTlsCertificate, 0, "", V::kPermanent, "certificate"},
      {"login denied", TE::kLoginDenied, 0, "", V::kPermanent, "login denied"},
      {"unexpected code", TE::kNone, 999, "", V::kPermanent, "unexpected SMTP 999"},
      {"unexpected low code", TE::kNone, 100, "", V::kPermanent, "unexpected"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Outcome o = ClassifySmtp({c.transport, "", c.code, c.text});
    EXPECT_EQ(o.verdict, c.want);
    EXPECT_NE(o.reason.find(c.reason_has), std::string::npos) << o.reason;
    EXPECT_FALSE(o.throttle_channel);
    EXPECT_FALSE(o.retry_after.has_value());
  }
}

TEST(ClassifyTransport, OnlyConfigurationErrorsArePermanent) {
  struct Case {
    TE e;
    V want;
  } cases[] = {
      {TE::kNone, V::kDelivered},           {TE::kTimeout, V::kRetryable},        {TE::kDnsFailure, V::kRetryable},
      {TE::kConnectFailed, V::kRetryable},  {TE::kConnectionLost, V::kRetryable}, {TE::kTlsHandshake, V::kRetryable},
      {TE::kTlsCertificate, V::kPermanent}, {TE::kLoginDenied, V::kPermanent},    {TE::kBadRequest, V::kPermanent},
      {TE::kOther, V::kRetryable},
  };
  for (const auto& c : cases) EXPECT_EQ(ClassifyTransport(c.e), c.want) << c.e;
}

TEST(DeadLetterClass, NamesMatchTheContract) {
  EXPECT_EQ(ToString(DeadLetterClass::kInvalid), "invalid");
  EXPECT_EQ(ToString(DeadLetterClass::kPermanent), "permanent");
  EXPECT_EQ(ToString(DeadLetterClass::kExhausted), "exhausted");
  std::ostringstream os;
  os << DeadLetterClass::kExhausted << ' ' << Verdict::kRetryable;
  EXPECT_EQ(os.str(), "exhausted retryable");
}

}  // namespace
}  // namespace herald::sidecar
