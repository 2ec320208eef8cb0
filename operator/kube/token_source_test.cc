// Service-account token rotation: the token file is re-read on a period and
// after a 401, by TokenSource alone and through the REST client against a
// local HTTP server that accepts one token at a time.
#include "kube/token_source.h"

// cpprestsdk's U() macro would break gtest's templates.
#define _TURN_OFF_PLATFORM_STRING
#include <arpa/inet.h>
#include <cpprest/http_listener.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "kube/client.h"

namespace herald::kube {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() / ("herald-token-" + std::to_string(::getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    Write("first\n");
  }
  void TearDown() override { fs::remove(path_); }
  // Replaces the file the way the kubelet does: write aside, rename over.
  void Write(const std::string& text) {
    fs::path tmp = path_.string() + ".tmp";
    std::ofstream(tmp) << text;
    fs::rename(tmp, path_);
  }
  fs::path path_;
};

TEST_F(TokenFileTest, RereadsTheFileWhenItsCopyIsOld) {
  TokenSource fresh("", path_.string(), 0s);
  EXPECT_EQ(fresh.Get(), "first") << "trailing newline trimmed";
  Write("second");
  EXPECT_EQ(fresh.Get(), "second");
}

TEST_F(TokenFileTest, KeepsItsCopyWithinThePeriodUnlessRefreshed) {
  TokenSource cached("", path_.string(), 3600s);
  EXPECT_EQ(cached.Get(), "first");
  Write("second");
  EXPECT_EQ(cached.Get(), "first");
  EXPECT_TRUE(cached.Refresh()) << "the token changed";
  EXPECT_EQ(cached.Get(), "second");
  EXPECT_FALSE(cached.Refresh()) << "same token: retrying would not help";
}

TEST_F(TokenFileTest, AnEmptyOrMissingFileKeepsTheLastToken) {
  TokenSource s("", path_.string(), 0s);
  EXPECT_EQ(s.Get(), "first");
  Write("");
  EXPECT_EQ(s.Get(), "first");
  fs::remove(path_);
  EXPECT_EQ(s.Get(), "first");
}

TEST(TokenSource, InlineTokenNeverChanges) {
  TokenSource s("inline", "", 0s);
  EXPECT_EQ(s.Get(), "inline");
  EXPECT_FALSE(s.Refresh());
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// An API server that accepts exactly one bearer token, which the test changes.
class OneTokenServer {
 public:
  OneTokenServer() : url_("http://127.0.0.1:" + std::to_string(FreePort())), listener_(url_) {
    listener_.support([this](web::http::http_request req) {
      std::string auth = req.headers().has("Authorization") ? req.headers()["Authorization"] : "";
      std::lock_guard lock(mu_);
      seen_.push_back(auth);
      if (auth == "Bearer " + accepted_) {
        req.reply(200, web::json::value::parse(R"({"kind":"Status","status":"Success"})"));
      } else {
        req.reply(401, web::json::value::parse(R"({"kind":"Status","message":"Unauthorized","code":401})"));
      }
    });
    listener_.open().wait();
  }
  ~OneTokenServer() { listener_.close().wait(); }
  void Accept(const std::string& token) {
    std::lock_guard lock(mu_);
    accepted_ = token;
  }
  std::vector<std::string> Seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  const std::string& url() const { return url_; }

 private:
  std::string url_;
  web::http::experimental::listener::http_listener listener_;
  std::mutex mu_;
  std::string accepted_;
  std::vector<std::string> seen_;
};

TEST_F(TokenFileTest, ClientRetriesWithTheNewTokenAfterA401) {
  OneTokenServer server;
  server.Accept("first");
  ClusterConfig cfg;
  cfg.server = server.url();
  cfg.token_file = path_.string();
  auto client = NewRestClient(cfg);
  ASSERT_TRUE(client.ok()) << client.error();

  auto r = (*client)->Send("GET", "/api");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 200);

  // The first ServiceAccount is deleted (its token now refused) and the file
  // holds a token of the second: well within the 60 s re-read period.
  Write("second\n");
  server.Accept("second");
  r = (*client)->Send("GET", "/api");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server.Seen(), (std::vector<std::string>{"Bearer first", "Bearer first", "Bearer second"}));

  // A refused token with nothing new in the file is answered as is, once.
  server.Accept("third");
  r = (*client)->Send("GET", "/api");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(server.Seen().size(), 4u);

  // Watches too: the informer's next attempt must not fail for the same reason.
  Write("third");
  auto st = (*client)->Watch(
      "/api/v1/configmaps?watch=1", [](const WatchEvent&) { return true; }, std::stop_token{});
  EXPECT_TRUE(st.ok()) << st.error();
  EXPECT_EQ(server.Seen().back(), "Bearer third");
}

}  // namespace
}  // namespace herald::kube
