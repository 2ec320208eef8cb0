#include "dispatch/webhook_signature.h"

#include <gtest/gtest.h>

#include <string>

using namespace std::chrono_literals;

namespace herald::dispatch {
namespace {

std::chrono::system_clock::time_point At(long long unix_seconds) {
  return std::chrono::system_clock::time_point{std::chrono::seconds{unix_seconds}};
}

WebhookSigner MustCreate(std::string_view secret) {
  auto signer = WebhookSigner::Create(secret);
  EXPECT_TRUE(signer.ok()) << signer.error();
  return std::move(signer).value();
}

TEST(WebhookSigner, SignsKnownVectors) {
  struct Case {
    const char* name;
    std::string secret, id;
    long long timestamp;
    std::string body, want;
  } cases[] = {
      // The vector from the Standard Webhooks reference libraries' tests
      // (libraries/go/webhook_test.go, TestWebhookSign).
      {"spec", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
       R"({"test": 2432232314})", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
      // Computed independently with
      //   printf '%s' '<id>.<ts>.<body>' | openssl dgst -sha256 -hmac herald-raw-secret -binary | base64
      {"raw secret", "herald-raw-secret", "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10", 1795342500,
       R"({"project":"checkout","used":10500})", "v1,b6DYFkV+GC8zhp6PHepIK75oi8I7g+SL4wIklS2Oh2o="},
      // The same key in whsec_ form (base64 of "herald-raw-secret") signs the same.
      {"whsec form of raw secret", "whsec_aGVyYWxkLXJhdy1zZWNyZXQ=", "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10", 1795342500,
       R"({"project":"checkout","used":10500})", "v1,b6DYFkV+GC8zhp6PHepIK75oi8I7g+SL4wIklS2Oh2o="},
  };
  for (const auto& c : cases) {
    const WebhookSigner signer = MustCreate(c.secret);
    auto sig = signer.Sign(c.id, At(c.timestamp), c.body);
    ASSERT_TRUE(sig.ok()) << c.name << ": " << sig.error();
    EXPECT_EQ(*sig, c.want) << c.name;
  }
}

TEST(WebhookSigner, UnprefixedSecretIsRawBytesNotBase64) {
  // Without "whsec_" the base64 text itself is the key, so it signs differently.
  const WebhookSigner raw = MustCreate("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  auto sig = raw.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", At(1614265330), R"({"test": 2432232314})");
  ASSERT_TRUE(sig.ok());
  EXPECT_NE(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSigner, HeadersCarryIdSecondsAndSignature) {
  const WebhookSigner signer = MustCreate("herald-raw-secret");
  auto headers = signer.Headers("0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10", At(1795342500) + 999ms,
                                R"({"project":"checkout","used":10500})");
  ASSERT_TRUE(headers.ok()) << headers.error();
  EXPECT_EQ(headers->id, "0b7c4e0e-6a51-4d1c-9a39-3f1b2f7e8a10");
  EXPECT_EQ(headers->timestamp, "1795342500");  // truncated, not rounded
  EXPECT_EQ(headers->signature, "v1,b6DYFkV+GC8zhp6PHepIK75oi8I7g+SL4wIklS2Oh2o=");
}

TEST(WebhookSigner, RejectsBadSecrets) {
  for (const char* secret : {"", "whsec_", "whsec_!!!not-base64!!!", "whsec_Zg=a"}) {
    auto signer = WebhookSigner::Create(secret);
    ASSERT_FALSE(signer.ok()) << secret;
    EXPECT_EQ(signer.error().find("!!!"), std::string::npos) << "error must not echo the secret";
  }
}

TEST(WebhookSigner, RejectsIdsThatBreakTheSchemeOrTheHeader) {
  const WebhookSigner signer = MustCreate("k");
  for (const char* id : {"", "a.b", "a b", "a\r\nX-Evil: 1", "tab\there"}) {
    EXPECT_FALSE(signer.Sign(id, At(1), "{}").ok()) << testing::PrintToString(id);
  }
}

TEST(WebhookSigner, Verify) {
  const WebhookSigner signer = MustCreate("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  const std::string body = R"({"test": 2432232314})";
  const long long ts = 1614265330;
  auto good_or = signer.Headers("msg_p5jXN8AQM9LWM0D4loKWxJek", At(ts), body);
  ASSERT_TRUE(good_or.ok());
  const WebhookSignatureHeaders good = *good_or;
  const std::string other = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
  const std::string b64 = good.signature.substr(3);

  struct Case {
    const char* name;
    WebhookSignatureHeaders headers;
    std::string body;
    long long now;
    const char* want_error;  // nullptr: verifies
  } cases[] = {
      {"valid", good, body, ts, nullptr},
      {"edge of tolerance, old", good, body, ts + 300, nullptr},
      {"edge of tolerance, new", good, body, ts - 300, nullptr},
      {"rotation list", {good.id, good.timestamp, other + " v2," + b64 + " " + good.signature}, body, ts, nullptr},
      {"missing id", {"", good.timestamp, good.signature}, body, ts, "missing webhook-id"},
      {"missing timestamp", {good.id, "", good.signature}, body, ts, "missing webhook-timestamp"},
      {"missing signature", {good.id, good.timestamp, ""}, body, ts, "missing webhook-signature"},
      {"timestamp not a number", {good.id, "16142653x0", good.signature}, body, ts, "not unix seconds"},
      {"negative timestamp", {good.id, "-1614265330", good.signature}, body, ts, "not unix seconds"},
      {"too old", good, body, ts + 301, "too old"},
      {"too new", good, body, ts - 301, "too new"},
      {"tampered body", good, body + " ", ts, "no matching"},
      {"other id", {"msg_other", good.timestamp, good.signature}, body, ts, "no matching"},
      {"shifted timestamp", {good.id, std::to_string(ts + 1), good.signature}, body, ts, "no matching"},
      {"wrong key", {good.id, good.timestamp, other}, body, ts, "no matching"},
      {"asymmetric version ignored", {good.id, good.timestamp, "v1a," + b64}, body, ts, "no matching"},
      {"unversioned", {good.id, good.timestamp, b64}, body, ts, "no matching"},
  };
  for (const auto& c : cases) {
    const Status st = signer.Verify(c.headers, c.body, At(c.now));
    if (c.want_error == nullptr) {
      EXPECT_TRUE(st.ok()) << c.name << ": " << st.error();
    } else {
      ASSERT_FALSE(st.ok()) << c.name;
      EXPECT_NE(st.error().find(c.want_error), std::string::npos) << c.name << ": " << st.error();
    }
  }
}

TEST(WebhookSigner, VerifyHonoursCustomTolerance) {
  const WebhookSigner signer = MustCreate("k");
  auto headers = signer.Headers("id", At(1000), "x");
  ASSERT_TRUE(headers.ok());
  EXPECT_TRUE(signer.Verify(*headers, "x", At(1010), 10s).ok());
  EXPECT_FALSE(signer.Verify(*headers, "x", At(1011), 10s).ok());
}

}  // namespace
}  // namespace herald::dispatch
