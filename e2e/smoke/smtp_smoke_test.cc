// SMTP smoke test: the mail sink of the local stack is a real SMTP server that
// offers STARTTLS and AUTH, and what it received can be read back over its API.
#include <curl/curl.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>

#include "stack_env.h"

namespace {

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct Upload {
  std::string data;
  size_t pos = 0;
};

size_t Read(char* buf, size_t size, size_t n, void* in) {
  auto* u = static_cast<Upload*>(in);
  size_t len = std::min(size * n, u->data.size() - u->pos);
  std::memcpy(buf, u->data.data() + u->pos, len);
  u->pos += len;
  return len;
}

// Sends one message; returns curl's result and fills `error`.
CURLcode SendMail(const std::string& url, const std::string& ca, const std::string& user, const std::string& pass,
                  const std::string& subject, std::string* error) {
  CURL* curl = curl_easy_init();
  char errbuf[CURL_ERROR_SIZE] = {0};
  Upload body{"From: Herald Smoke <smoke@herald.dev>\r\nTo: <ops@example.com>\r\nSubject: " + subject +
              "\r\nMessage-ID: <" + subject + "@herald.dev>\r\n\r\nhello from the smoke test\r\n"};
  curl_slist* rcpt = curl_slist_append(nullptr, "<ops@example.com>");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));  // STARTTLS or fail
  curl_easy_setopt(curl, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, user.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, pass.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, "<smoke@herald.dev>");
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, Read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
  CURLcode rc = curl_easy_perform(curl);
  *error = errbuf;
  curl_slist_free_all(rcpt);
  curl_easy_cleanup(curl);
  return rc;
}

std::string HttpGet(const std::string& url) {
  std::string out;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return rc == CURLE_OK ? out : "";
}

struct Sink {
  std::string url, api, ca, user, pass;
};

Sink FromEnv() {
  using herald::testing::StackEnv;
  Sink s;
  s.url = "smtp://" + StackEnv("HERALD_SMTP_HOST") + ":" + StackEnv("HERALD_SMTP_PORT");
  s.api = StackEnv("HERALD_SMTP_API");
  s.ca = StackEnv("HERALD_STACK_CA");
  s.user = StackEnv("HERALD_SMTP_USERNAME");
  s.pass = StackEnv("HERALD_SMTP_PASSWORD");
  return s;
}

TEST(SmtpSmoke, StartTlsAuthMailIsReadBackThroughTheSinkApi) {
  Sink sink = FromEnv();
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::random_device rd;
  const std::string subject = "herald-smoke-" + std::to_string(rd()) + std::to_string(rd());

  std::string error;
  ASSERT_EQ(SendMail(sink.url, sink.ca, sink.user, sink.pass, subject, &error), CURLE_OK) << error;

  // Mailpit stores asynchronously after the SMTP transaction: poll with a deadline.
  nlohmann::json found;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (found.is_null() && std::chrono::steady_clock::now() < deadline) {
    std::string body = HttpGet(sink.api + "/search?query=subject:%22" + subject + "%22");
    if (!body.empty()) {
      auto res = nlohmann::json::parse(body, nullptr, false);
      if (res.is_object() && res.value("messages_count", 0) > 0) found = res["messages"][0];
    }
    if (found.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_FALSE(found.is_null()) << "mail with subject " << subject << " never showed up in " << sink.api;
  EXPECT_EQ(found["Subject"], subject);
  EXPECT_EQ(found["To"][0]["Address"], "ops@example.com");
}

TEST(SmtpSmoke, WrongPasswordIsRefused) {
  Sink sink = FromEnv();
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::string error;
  EXPECT_EQ(SendMail(sink.url, sink.ca, sink.user, "wrong-password", "herald-smoke-denied", &error), CURLE_LOGIN_DENIED)
      << error;
}

TEST(SmtpSmoke, CertificateFromAnotherCaIsRejected) {
  Sink sink = FromEnv();
  ASSERT_FALSE(::testing::Test::HasFailure());
  std::string error;
  // The system trust store does not contain the stack's CA: verification must fail.
  EXPECT_EQ(SendMail(sink.url, "/etc/ssl/certs/ca-certificates.crt", sink.user, sink.pass, "herald-smoke-tls", &error),
            CURLE_PEER_FAILED_VERIFICATION)
      << error;
}

}  // namespace
