#include "dispatch/curl_setup.h"

#include <gtest/gtest.h>

namespace herald::dispatch {
namespace {

TEST(TransportErrorFromCurl, GroupsCodes) {
  struct Case {
    CURLcode code;
    TransportError want;
  };
  const Case cases[] = {
      {CURLE_OK, TransportError::kNone},
      {CURLE_OPERATION_TIMEDOUT, TransportError::kTimeout},
      {CURLE_COULDNT_CONNECT, TransportError::kConnectFailed},
      {CURLE_COULDNT_RESOLVE_HOST, TransportError::kDnsFailure},
      {CURLE_COULDNT_RESOLVE_PROXY, TransportError::kDnsFailure},
      {CURLE_SSL_CONNECT_ERROR, TransportError::kTlsHandshake},
      {CURLE_USE_SSL_FAILED, TransportError::kTlsHandshake},
      {CURLE_PEER_FAILED_VERIFICATION, TransportError::kTlsCertificate},
      {CURLE_SSL_CACERT_BADFILE, TransportError::kTlsCertificate},
      {CURLE_SEND_ERROR, TransportError::kConnectionLost},
      {CURLE_RECV_ERROR, TransportError::kConnectionLost},
      {CURLE_GOT_NOTHING, TransportError::kConnectionLost},
      {CURLE_PARTIAL_FILE, TransportError::kConnectionLost},
      {CURLE_HTTP2_STREAM, TransportError::kConnectionLost},
      {CURLE_LOGIN_DENIED, TransportError::kLoginDenied},
      {CURLE_URL_MALFORMAT, TransportError::kBadRequest},
      {CURLE_UNSUPPORTED_PROTOCOL, TransportError::kBadRequest},
      {CURLE_WRITE_ERROR, TransportError::kOther},
      {CURLE_OUT_OF_MEMORY, TransportError::kOther},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TransportErrorFromCurl(c.code), c.want) << curl_easy_strerror(c.code);
  }
}

TEST(TransportError, Names) {
  EXPECT_EQ(ToString(TransportError::kConnectFailed), "connect failed");
  EXPECT_EQ(ToString(TransportError::kTlsCertificate), "tls certificate rejected");
  EXPECT_EQ(ToString(TransportError::kNone), "none");
}

TEST(HttpHeaderLines, ContentTypeExpectThenExtras) {
  HttpPost post;
  post.content_type = "application/json; charset=utf-8";
  post.headers = {{"webhook-id", "abc"}, {"X-Empty", ""}};
  auto lines = HttpHeaderLines(post);
  ASSERT_TRUE(lines.ok()) << lines.error();
  EXPECT_EQ(*lines, (std::vector<std::string>{"Content-Type: application/json; charset=utf-8",
                                              "Expect:", "webhook-id: abc", "X-Empty;"}));
}

TEST(HttpHeaderLines, RejectsInjectionAndManagedHeaders) {
  struct Case {
    std::string name, value, want_in_error;
  };
  const Case cases[] = {
      {"X-A", "v\r\nX-Injected: 1", "X-A: value contains CR, LF or NUL"},
      {"X-A", "v\nw", "X-A: value contains"},
      {"X-A", std::string("v\0w", 3), "X-A: value contains"},
      {"X A", "v", "not an HTTP token"},
      {"X:A", "v", "not an HTTP token"},
      {"", "v", "not an HTTP token"},
      {"content-length", "5", "set by the dispatcher"},
      {"EXPECT", "100-continue", "set by the dispatcher"},
      {"Connection", "close", "set by the dispatcher"},
      {"Host", "evil", "set by the dispatcher"},
  };
  for (const Case& c : cases) {
    HttpPost post;
    post.headers = {{c.name, c.value}};
    auto lines = HttpHeaderLines(post);
    ASSERT_FALSE(lines.ok()) << c.name;
    EXPECT_NE(lines.error().find(c.want_in_error), std::string::npos) << lines.error();
    EXPECT_EQ(lines.error().find("Injected"), std::string::npos) << "values may be secrets";
  }
  HttpPost bad_type;
  bad_type.content_type = "text/plain\r\nX: y";
  EXPECT_FALSE(HttpHeaderLines(bad_type).ok());
  bad_type.content_type = "";
  EXPECT_FALSE(HttpHeaderLines(bad_type).ok());
}

TEST(SmtpUrl, SchemeFollowsTlsMode) {
  struct Case {
    std::string host;
    uint16_t port;
    SmtpTls tls;
    std::string want;
  };
  const Case cases[] = {
      {"smtp.example.com", 587, SmtpTls::kStartTls, "smtp://smtp.example.com:587"},
      {"smtp.example.com", 465, SmtpTls::kImplicit, "smtps://smtp.example.com:465"},
      {"127.0.0.1", 25, SmtpTls::kNone, "smtp://127.0.0.1:25"},
      {"::1", 587, SmtpTls::kStartTls, "smtp://[::1]:587"},
  };
  for (const Case& c : cases) {
    SmtpSend send;
    send.host = c.host;
    send.port = c.port;
    send.tls = c.tls;
    auto url = SmtpUrl(send);
    ASSERT_TRUE(url.ok()) << url.error();
    EXPECT_EQ(*url, c.want);
  }
}

TEST(SmtpUrl, RejectsHostsThatChangeTheUrl) {
  for (std::string host : {"", "evil.com/path", "user@evil.com", "a?b", "a#b", "a b", "a\r\nb"}) {
    SmtpSend send;
    send.host = host;
    EXPECT_FALSE(SmtpUrl(send).ok()) << host;
  }
  SmtpSend zero_port;
  zero_port.host = "localhost";
  zero_port.port = 0;
  EXPECT_FALSE(SmtpUrl(zero_port).ok());
}

TEST(SmtpTrustKey, DiffersByTlsModeAndCaFileOnly) {
  SmtpSend a;
  a.tls = SmtpTls::kStartTls;
  a.ca_file = "/etc/herald/ca.crt";
  a.username = "u1";
  SmtpSend b = a;
  b.username = "u2";  // libcurl compares credentials itself
  b.recipients = {"x@y"};
  EXPECT_EQ(SmtpTrustKey(a), SmtpTrustKey(b));
  SmtpSend other_ca = a;
  other_ca.ca_file.clear();
  EXPECT_NE(SmtpTrustKey(a), SmtpTrustKey(other_ca));
  SmtpSend plain = a;
  plain.tls = SmtpTls::kNone;
  EXPECT_NE(SmtpTrustKey(a), SmtpTrustKey(plain));
}

TEST(ValidateSmtpEnvelope, GuardsProtocolLines) {
  SmtpSend send;
  send.mail_from = "herald@example.com";
  send.recipients = {"ops@example.com", "oncall@example.org"};
  EXPECT_TRUE(ValidateSmtpEnvelope(send).ok());

  struct Case {
    std::string from;
    std::vector<std::string> to;
    std::string want_in_error;
  };
  const std::vector<Case> cases = {
      {"", {"a@b"}, "sender \"\": is empty"},
      {"a@b", {}, "no recipients"},
      {"a@b", {"x@y>\r\nRCPT TO:<z@w"}, "control character"},
      {"a@b> SIZE=1", {"x@y"}, "control character, space"},
      {"a@b", {"nobody"}, "is not user@host"},
      {"a@b", {"@host"}, "is not user@host"},
      {"a@b", {"user@"}, "is not user@host"},
      {"a@b", {std::string(250, 'a') + "@b.cd"}, "longer than 254"},
  };
  for (const Case& c : cases) {
    SmtpSend s;
    s.mail_from = c.from;
    s.recipients = c.to;
    auto status = ValidateSmtpEnvelope(s);
    ASSERT_FALSE(status.ok()) << c.from;
    EXPECT_NE(status.error().find(c.want_in_error), std::string::npos) << status.error();
    EXPECT_EQ(status.error().find('\n'), std::string::npos) << "errors stay one line";
  }
}

}  // namespace
}  // namespace herald::dispatch
