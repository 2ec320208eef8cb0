#include "dispatch/transcript.h"

#include <gtest/gtest.h>

namespace herald::dispatch {
namespace {

TEST(HttpResponseCapture, RetryAfterOfTheFinalResponse) {
  HttpResponseCapture c(4096);
  c.OnHeaderLine("HTTP/1.1 100 Continue\r\n");
  c.OnHeaderLine("Retry-After: 99\r\n");  // an interim response's: forgotten
  c.OnHeaderLine("\r\n");
  c.OnHeaderLine("HTTP/1.1 429 Too Many Requests\r\n");
  c.OnHeaderLine("content-type: text/plain\r\n");
  c.OnHeaderLine("retry-after:  \t30 \r\n");
  c.OnHeaderLine("Retry-After: 60\r\n");  // the first one counts
  c.OnHeaderLine("\r\n");
  ASSERT_TRUE(c.retry_after().has_value());
  EXPECT_EQ(*c.retry_after(), "30");
}

TEST(HttpResponseCapture, HttpDateKeptVerbatim) {
  HttpResponseCapture c(4096);
  c.OnHeaderLine("HTTP/2 503 \r\n");
  c.OnHeaderLine("Retry-After: Wed, 21 Oct 2026 07:28:00 GMT\r\n");
  EXPECT_EQ(c.retry_after().value_or(""), "Wed, 21 Oct 2026 07:28:00 GMT");
}

TEST(HttpResponseCapture, NoRetryAfter) {
  HttpResponseCapture c(4096);
  c.OnHeaderLine("HTTP/1.1 200 OK\r\n");
  c.OnHeaderLine("X-Retry-After: 5\r\n");
  EXPECT_FALSE(c.retry_after().has_value());
}

TEST(HttpResponseCapture, BodyCapped) {
  HttpResponseCapture c(10);
  c.OnBody("hello ");
  EXPECT_FALSE(c.body_truncated());
  c.OnBody("world, and more");
  c.OnBody("even more");
  EXPECT_EQ(c.body(), "hello worl");
  EXPECT_TRUE(c.body_truncated());
}

TEST(HttpResponseCapture, BodyExactlyAtCapIsNotTruncated) {
  HttpResponseCapture c(2);
  c.OnBody("ok");
  EXPECT_EQ(c.TakeBody(), "ok");
  EXPECT_FALSE(c.body_truncated());
}

TEST(SmtpTranscript, RefusedRecipientsMatchedToTheirRcpt) {
  SmtpTranscript t;
  t.OnSent("MAIL FROM:<herald@example.com> SIZE=120\r\n");
  t.OnReceived("250 2.1.0 Ok\r\n");
  t.OnSent("RCPT TO:<ok@example.com>\r\n");
  t.OnReceived("250 2.1.5 Ok\r\n");
  t.OnSent("RCPT TO:<nobody@example.com>\r\n");
  t.OnReceived("550-5.1.1 no such\r\n");  // continuation first
  t.OnReceived("550 5.1.1 user\r\n");
  t.OnSent("RCPT TO:<full@example.com>\r\n");
  t.OnReceived("452 4.2.2 mailbox full\r\n");
  t.OnSent("DATA\r\n");
  t.OnReceived("354 go ahead\r\n");
  t.OnReceived("250 2.0.0 queued as 1234\r\n");
  ASSERT_EQ(t.refused().size(), 2u);
  EXPECT_EQ(t.refused()[0].address, "nobody@example.com");
  EXPECT_EQ(t.refused()[0].code, 550);
  EXPECT_EQ(t.refused()[0].text, "550 5.1.1 user");
  EXPECT_EQ(t.refused()[1].address, "full@example.com");
  EXPECT_EQ(t.refused()[1].code, 452);
  EXPECT_EQ(t.last_reply(), "250 2.0.0 queued as 1234");
}

TEST(SmtpTranscript, TheGoodbyeAfterAFailureDoesNotHideTheFailingReply) {
  SmtpTranscript t;
  t.OnSent("MAIL FROM:<herald@example.com>\r\n");
  t.OnReceived("250 2.1.0 Ok\r\n");
  t.OnSent("RCPT TO:<refuse!x@example.com>\r\n");
  t.OnReceived("550 5.1.0 Invalid recipient address\r\n");
  t.OnSent("QUIT\r\n");
  t.OnReceived("221 2.0.0 closing transmission channel\r\n");
  EXPECT_EQ(t.last_reply(), "550 5.1.0 Invalid recipient address");
  ASSERT_EQ(t.refused().size(), 1u);
}

TEST(SmtpTranscript, LinesSplitAcrossCallbacks) {
  SmtpTranscript t;
  t.OnSent("RCPT TO:<a");
  t.OnSent("@b>\r\n");
  t.OnReceived("55");
  t.OnReceived("0 no\r");
  t.OnReceived("\n");
  ASSERT_EQ(t.refused().size(), 1u);
  EXPECT_EQ(t.refused()[0].address, "a@b");
  EXPECT_EQ(t.last_reply(), "550 no");
}

TEST(SmtpTranscript, ReplyAfterOtherCommandsIsNotARefusal) {
  SmtpTranscript t;
  t.OnSent("AUTH PLAIN AGhlcmFsZABzZWNyZXQ=\r\n");
  t.OnReceived("535 5.7.8 Authentication failed\r\n");
  EXPECT_TRUE(t.refused().empty());
  EXPECT_EQ(t.last_reply(), "535 5.7.8 Authentication failed");
}

}  // namespace
}  // namespace herald::dispatch
