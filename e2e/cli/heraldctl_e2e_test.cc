// heraldctl against the real Kafka broker: send waits for the broker and the
// record is a valid envelope; render shows what a channel would send; dlq list
// filters dead letters; dlq replay re-produces exactly the chosen ones.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "stack_env.h"
#include "testkit/testkit.h"

namespace herald {
namespace {

namespace tk = herald::testkit;
using nlohmann::json;

struct Run {
  int code = -1;
  std::string out;
};

Run Ctl(const std::string& args) {
  Run r;
  std::string cmd = std::string(HERALDCTL_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class HeraldctlE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    bootstrap_ = herald::testing::StackEnv("HERALD_KAFKA_BOOTSTRAP");
    ASSERT_FALSE(bootstrap_.empty());
    topic_ = "herald.ctl." + tk::UniqueSuffix();
    ASSERT_EQ(tk::CreateTopics(bootstrap_, {topic_, topic_ + ".dlq"}, 2), "");
  }
  void TearDown() override { tk::DeleteTopics(bootstrap_, {topic_, topic_ + ".dlq"}); }
  std::string bootstrap_, topic_;
};

TEST_F(HeraldctlE2E, SendProducesAValidEnvelopeAndPrintsItsGlobalId) {
  auto r = Ctl("send --topic " + topic_ + " --from billing --type quota.exceeded --email ops@example.com " +
               "--content '{\"version\":\"1.2\",\"project\":\"checkout\"}'");
  ASSERT_EQ(r.code, 0) << r.out;
  std::string id = r.out.substr(0, r.out.find('\n'));
  auto records = tk::ReadAll(bootstrap_, topic_);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, id);
  auto env = json::parse(records[0].value);
  EXPECT_EQ(env["globalId"], id);
  EXPECT_EQ(env["from"], "billing");
  EXPECT_EQ(env["recipients"]["email"][0], "ops@example.com");
  EXPECT_EQ(env["content"]["project"], "checkout");
  EXPECT_TRUE(env["createdAt"].is_string());
}

TEST_F(HeraldctlE2E, BadInputIsRefusedWithExitCode2AndNothingIsSent) {
  EXPECT_EQ(Ctl("send --topic " + topic_ + " --from x --content '{\"project\":1}'").code, 2);
  EXPECT_EQ(Ctl("send --topic " + topic_ + " --frm x").code, 2);
  EXPECT_EQ(Ctl("render --kind pager --file /dev/null").code, 2);
  EXPECT_TRUE(tk::ReadAll(bootstrap_, topic_).empty());
  EXPECT_EQ(Ctl("send --topic herald.does.not.exist." + tk::UniqueSuffix() +
                " --bootstrap 127.0.0.1:1 --from x --content '{\"version\":\"1\"}'")
                .code,
            1);
}

TEST_F(HeraldctlE2E, RenderShowsWhatTheChannelWouldSend) {
  auto dir = std::filesystem::temp_directory_path() / ("herald-ctl-" + tk::UniqueSuffix());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "t.yaml") << R"(apiVersion: herald.dev/v1alpha1
kind: Template
metadata: {name: quota, namespace: team-a}
spec:
  contentVersion: 1
  subject: "Quota exceeded for {{content.project}}"
  text: "{{content.used}} of {{content.limit}}"
  html: "<b>{{content.project}}</b>"
  slack: {text: "Quota exceeded for {{content.project}}"}
  sample: {globalId: 00000000-0000-4000-8000-000000000000, from: docs, createdAt: "2026-01-01T00:00:00Z",
           content: {version: "1.0", project: "<demo>", used: 11, limit: 10}}
)";
  auto email = Ctl("render --kind email --file " + (dir / "t.yaml").string());
  EXPECT_EQ(email.code, 0) << email.out;
  EXPECT_NE(email.out.find("Subject: Quota exceeded for <demo>"), std::string::npos) << email.out;
  EXPECT_NE(email.out.find("<b>&lt;demo&gt;</b>"), std::string::npos) << "HTML must be escaped: " << email.out;
  auto slack = Ctl("render --kind slack --file " + (dir / "t.yaml").string());
  EXPECT_EQ(slack.code, 0) << slack.out;
  EXPECT_NE(slack.out.find("\"text\""), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_F(HeraldctlE2E, DlqListFiltersAndReplayReproducesOnlyTheChosenOnes) {
  std::vector<tk::Record> dead;
  for (int i = 0; i < 4; ++i) {
    std::string id = "00000000-0000-4000-8000-00000000000" + std::to_string(i);
    dead.push_back({id,
                    "{\"globalId\":\"" + id + "\"}",
                    {{"herald-error-class", i % 2 ? "exhausted" : "invalid"},
                     {"herald-error", "reason " + std::to_string(i)},
                     {"herald-attempts", "5"},
                     {"herald-origin", topic_ + "/0/" + std::to_string(i)},
                     {"herald-failed-at", "2026-11-23T00:00:00Z"},
                     {"traceparent", "00-trace-" + std::to_string(i)}}});
  }
  ASSERT_EQ(tk::Produce(bootstrap_, topic_ + ".dlq", dead), "");
  auto list = Ctl("dlq list --topic " + topic_ + " --class exhausted -o json");
  ASSERT_EQ(list.code, 0) << list.out;
  size_t lines = 0;
  std::istringstream in(list.out);
  for (std::string line; std::getline(in, line);) {
    auto j = json::parse(line);
    EXPECT_EQ(j["headers"]["herald-error-class"], "exhausted");
    ++lines;
  }
  EXPECT_EQ(lines, 2u);

  auto dry = Ctl("dlq replay --topic " + topic_ + " --class exhausted --dry-run");
  EXPECT_EQ(dry.code, 0) << dry.out;
  EXPECT_TRUE(tk::ReadAll(bootstrap_, topic_).empty()) << "--dry-run sent something";

  auto replay = Ctl("dlq replay --topic " + topic_ + " --global-id 00000000-0000-4000-8000-000000000001");
  ASSERT_EQ(replay.code, 0) << replay.out;
  auto again = tk::ReadAll(bootstrap_, topic_);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].key, "00000000-0000-4000-8000-000000000001");
  EXPECT_EQ(again[0].value, dead[1].value);
  EXPECT_EQ(again[0].headers["traceparent"], "00-trace-1");
}

}  // namespace
}  // namespace herald
