#include "operator/kafka/topic_admin_contract.h"

#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

namespace herald::kafka::testing {

void PrintTo(const ContractTarget& target, std::ostream* os) { *os << target.name; }

void TopicAdminContract::SetUp() {
  admin_ = GetParam().make();
  ASSERT_NE(admin_, nullptr);
  std::random_device rd;
  // Unique per run and per test: runs may overlap on the shared broker, and
  // a name reused right after deletion could still be in the metadata.
  prefix_ = "herald-test.kafka." + std::to_string(getpid()) + "-" + std::to_string(rd() % 1000000) + ".";
}

void TopicAdminContract::TearDown() {
  if (!admin_ || names_.empty()) return;
  for (const TopicResult& r : admin_->DeleteTopics(names_)) {
    EXPECT_TRUE(r.ok()) << "cleanup of " << r.name << ": " << *r.error;
  }
}

std::string TopicAdminContract::Name(const std::string& suffix) {
  names_.push_back(prefix_ + suffix);
  return names_.back();
}

std::vector<TopicDescription> TopicAdminContract::DescribeUntil(
    const std::vector<std::string>& names, const std::function<bool(const TopicDescription&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (true) {
    std::vector<TopicDescription> ds = admin_->DescribeTopics(names);
    if (std::all_of(ds.begin(), ds.end(), done) || std::chrono::steady_clock::now() > deadline) return ds;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

namespace {

const auto kExists = [](const TopicDescription& d) { return d.exists && !d.error; };
const auto kGone = [](const TopicDescription& d) { return !d.exists && !d.error; };

using Configs = std::map<std::string, std::string>;

TEST_P(TopicAdminContract, CreatesABatchOfTenWithConfigsAndDescribesThem) {
  std::vector<TopicSpec> specs;
  std::vector<std::string> names;
  for (int i = 1; i <= 10; ++i) {
    specs.push_back(TopicSpec{Name("batch-" + std::to_string(i)),
                              i,
                              1,
                              {{"retention.ms", std::to_string(i * 3600000)}, {"cleanup.policy", "delete"}}});
    names.push_back(specs.back().name);
  }
  const std::vector<CreateTopicResult> created = admin_->CreateTopics(specs);
  ASSERT_EQ(created.size(), 10u);
  for (size_t i = 0; i < created.size(); ++i) {
    EXPECT_EQ(created[i].name, names[i]) << "results come in input order";
    EXPECT_EQ(created[i].status, CreateStatus::kCreated) << created[i].name;
    EXPECT_FALSE(created[i].error);
  }

  const std::string missing = Name("never-created");
  names.push_back(missing);
  const std::vector<TopicDescription> ds =
      DescribeUntil(names, [&](const TopicDescription& d) { return d.name == missing || kExists(d); });
  ASSERT_EQ(ds.size(), 11u);
  for (int i = 0; i < 10; ++i) {
    const TopicDescription& d = ds[i];
    EXPECT_EQ(d.name, names[i]);
    ASSERT_FALSE(d.error) << d.name << ": " << *d.error;
    EXPECT_TRUE(d.exists) << d.name;
    EXPECT_EQ(d.partitions, i + 1) << d.name;
    EXPECT_EQ(d.replication_factor, 1) << d.name;
    // Exactly the overrides given: nothing from the broker's defaults.
    EXPECT_EQ(d.configs, (Configs{{"retention.ms", std::to_string((i + 1) * 3600000)}, {"cleanup.policy", "delete"}}));
    EXPECT_EQ(d.effective_configs.at("retention.ms"), std::to_string((i + 1) * 3600000));
    EXPECT_EQ(d.effective_configs.at("segment.bytes"), "1073741824") << "defaults are in effective_configs";
  }
  EXPECT_EQ(ds[10].name, missing);
  EXPECT_FALSE(ds[10].exists);
  EXPECT_FALSE(ds[10].error) << "a missing topic is not an error";
}

TEST_P(TopicAdminContract, DescribesAMissingTopicAsNotExisting) {
  const std::vector<TopicDescription> ds = admin_->DescribeTopics({Name("missing")});
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_FALSE(ds[0].exists);
  EXPECT_FALSE(ds[0].error);
  EXPECT_EQ(ds[0].partitions, 0);
  EXPECT_TRUE(ds[0].configs.empty());
}

TEST_P(TopicAdminContract, CreatingAgainReportsAlreadyExistsPerItemAndChangesNothing) {
  const std::string a = Name("a"), b = Name("b"), c = Name("c");
  for (const auto& r : admin_->CreateTopics({{a, 2, 1, {{"retention.ms", "3600000"}}}, {b, 1, 1, {}}})) {
    ASSERT_EQ(r.status, CreateStatus::kCreated) << r.name;
  }
  // Asks for other partitions and configs: "already exists" says nothing
  // about them, the existing topic stays as it is.
  const auto again = admin_->CreateTopics({{a, 5, 1, {{"retention.ms", "1000"}}}, {c, 1, 1, {}}, {b, 1, 1, {}}});
  ASSERT_EQ(again.size(), 3u);
  EXPECT_EQ(again[0].status, CreateStatus::kAlreadyExists);
  EXPECT_FALSE(again[0].error);
  EXPECT_EQ(again[1].status, CreateStatus::kCreated) << "other items of the batch are unaffected";
  EXPECT_EQ(again[2].status, CreateStatus::kAlreadyExists);

  const auto ds = DescribeUntil({a}, kExists);
  EXPECT_EQ(ds[0].partitions, 2);
  EXPECT_EQ(ds[0].configs, (Configs{{"retention.ms", "3600000"}}));
}

TEST_P(TopicAdminContract, RefusesBadTopicsPerItem) {
  const std::string good = Name("good");
  const std::vector<TopicSpec> specs = {
      {Name("rf2"), 1, 2, {}},              // one broker only
      {Name("zero-partitions"), 0, 1, {}},  //
      {Name("unknown-config"), 1, 1, {{"no.such.config", "1"}}},
      {Name("bad-value"), 1, 1, {{"retention.ms", "a week"}}},
      {good + " with spaces", 1, 1, {}},  // not a legal name
      {good, 1, 1, {}},                   //
      {good, 1, 1, {}},                   // listed twice
      {Name("negative"), -5, 1, {}},      // refused before sending
  };
  const auto rs = admin_->CreateTopics(specs);
  ASSERT_EQ(rs.size(), specs.size());
  const std::vector<std::string_view> codes = {kErrInvalidReplicationFactor,
                                               kErrInvalidPartitions,
                                               kErrInvalidConfig,
                                               kErrInvalidConfig,
                                               kErrInvalidTopic,
                                               "",
                                               kErrInvalidArg,
                                               kErrInvalidArg};
  for (size_t i = 0; i < rs.size(); ++i) {
    EXPECT_EQ(rs[i].name, specs[i].name);
    if (codes[i].empty()) {
      EXPECT_EQ(rs[i].status, CreateStatus::kCreated) << rs[i].name;
      continue;
    }
    EXPECT_EQ(rs[i].status, CreateStatus::kError) << rs[i].name;
    ASSERT_TRUE(rs[i].error) << rs[i].name;
    EXPECT_EQ(rs[i].error->code, codes[i]) << rs[i].name << ": " << *rs[i].error;
    EXPECT_FALSE(rs[i].error->message.empty());
  }
  const auto ds = DescribeUntil({good, specs[0].name},
                                [&](const TopicDescription& d) { return d.name == good ? kExists(d) : kGone(d); });
  EXPECT_TRUE(ds[0].exists);
  EXPECT_FALSE(ds[1].exists) << "a refused topic is not created";
}

TEST_P(TopicAdminContract, NamesDifferingOnlyByDotAndUnderscoreCollide) {
  const std::string dotted = Name("x.y");
  const std::string underscored = Name("x_y");
  ASSERT_EQ(admin_->CreateTopics({{dotted, 1, 1, {}}})[0].status, CreateStatus::kCreated);
  (void)DescribeUntil({dotted}, kExists);
  const auto r = admin_->CreateTopics({{underscored, 1, 1, {}}});
  EXPECT_EQ(r[0].status, CreateStatus::kError);
  ASSERT_TRUE(r[0].error);
  EXPECT_EQ(r[0].error->code, kErrInvalidTopic) << *r[0].error;
}

TEST_P(TopicAdminContract, IncreasesPartitionsInOneBatch) {
  const std::string a = Name("a"), b = Name("b");
  for (const auto& r : admin_->CreateTopics({{a, 1, 1, {}}, {b, 2, 1, {}}}))
    ASSERT_EQ(r.status, CreateStatus::kCreated);
  (void)DescribeUntil({a, b}, kExists);
  const auto rs = admin_->CreatePartitions({{a, 4}, {b, 3}});
  ASSERT_EQ(rs.size(), 2u);
  for (const auto& r : rs) EXPECT_TRUE(r.ok()) << r.name << ": " << *r.error;
  const auto ds = DescribeUntil({a, b}, [](const TopicDescription& d) { return d.partitions >= 3; });
  EXPECT_EQ(ds[0].partitions, 4);
  EXPECT_EQ(ds[1].partitions, 3);
}

TEST_P(TopicAdminContract, RefusesPartitionDecreaseWithTheBrokersError) {
  const std::string a = Name("a");
  ASSERT_EQ(admin_->CreateTopics({{a, 4, 1, {}}})[0].status, CreateStatus::kCreated);
  (void)DescribeUntil({a}, kExists);
  const std::string missing = Name("missing");
  const auto rs = admin_->CreatePartitions({{a, 2}, {missing, 3}});
  ASSERT_EQ(rs.size(), 2u);
  ASSERT_TRUE(rs[0].error);
  EXPECT_EQ(rs[0].error->code, kErrInvalidPartitions) << *rs[0].error;
  ASSERT_TRUE(rs[1].error);
  EXPECT_EQ(rs[1].error->code, kErrUnknownTopic) << *rs[1].error;

  // Asking for the current count is refused the same way: callers only ask
  // for an increase.
  const auto same = admin_->CreatePartitions({{a, 4}});
  ASSERT_TRUE(same[0].error);
  EXPECT_EQ(same[0].error->code, kErrInvalidPartitions) << *same[0].error;
  EXPECT_EQ(admin_->DescribeTopics({a})[0].partitions, 4);
}

TEST_P(TopicAdminContract, AlterConfigsReplacesTheWholeSet) {
  const std::string a = Name("a"), b = Name("b");
  const Configs initial = {{"retention.ms", "3600000"}, {"cleanup.policy", "delete"}, {"max.message.bytes", "2000000"}};
  for (const auto& r : admin_->CreateTopics({{a, 1, 1, initial}, {b, 1, 1, initial}})) {
    ASSERT_EQ(r.status, CreateStatus::kCreated);
  }
  (void)DescribeUntil({a, b}, kExists);

  const Configs next = {{"retention.ms", "7200000"}, {"cleanup.policy", "delete"}};
  const auto rs = admin_->AlterConfigs({{a, next}, {b, {{"retention.ms", "not a number"}}}, {Name("missing"), next}});
  ASSERT_EQ(rs.size(), 3u);
  EXPECT_TRUE(rs[0].ok()) << *rs[0].error;
  ASSERT_TRUE(rs[1].error);
  EXPECT_EQ(rs[1].error->code, kErrInvalidConfig) << *rs[1].error;
  ASSERT_TRUE(rs[2].error);
  EXPECT_EQ(rs[2].error->code, kErrUnknownTopic) << *rs[2].error;

  const auto ds = DescribeUntil({a, b}, [&](const TopicDescription& d) { return d.name != a || d.configs == next; });
  // max.message.bytes was not in the new set: it is back to the default.
  EXPECT_EQ(ds[0].configs, next);
  EXPECT_EQ(ds[0].effective_configs.at("max.message.bytes"), "1048588");
  EXPECT_EQ(ds[1].configs, initial) << "a refused AlterConfigs leaves the topic as it was";

  // The empty set removes every override.
  EXPECT_TRUE(admin_->AlterConfigs({{a, {}}})[0].ok());
  const auto cleared = DescribeUntil({a}, [](const TopicDescription& d) { return d.configs.empty(); });
  EXPECT_TRUE(cleared[0].configs.empty());
  EXPECT_EQ(cleared[0].effective_configs.at("retention.ms"), "604800000");
}

TEST_P(TopicAdminContract, DeletesIdempotently) {
  const std::string a = Name("a"), b = Name("b"), missing = Name("missing");
  for (const auto& r : admin_->CreateTopics({{a, 1, 1, {}}, {b, 3, 1, {}}}))
    ASSERT_EQ(r.status, CreateStatus::kCreated);
  (void)DescribeUntil({a, b}, kExists);

  const auto rs = admin_->DeleteTopics({a, b, missing});
  ASSERT_EQ(rs.size(), 3u);
  for (const auto& r : rs) EXPECT_TRUE(r.ok()) << r.name << ": " << *r.error;
  const auto ds = DescribeUntil({a, b}, kGone);
  EXPECT_FALSE(ds[0].exists);
  EXPECT_FALSE(ds[1].exists);

  for (const auto& r : admin_->DeleteTopics({a, b})) EXPECT_TRUE(r.ok()) << "again: " << r.name << ": " << *r.error;
  // The name is free again.
  EXPECT_EQ(admin_->CreateTopics({{a, 1, 1, {}}})[0].status, CreateStatus::kCreated);
}

TEST_P(TopicAdminContract, EmptyBatchesAnswerEmpty) {
  EXPECT_TRUE(admin_->DescribeTopics({}).empty());
  EXPECT_TRUE(admin_->CreateTopics({}).empty());
  EXPECT_TRUE(admin_->CreatePartitions({}).empty());
  EXPECT_TRUE(admin_->AlterConfigs({}).empty());
  EXPECT_TRUE(admin_->DeleteTopics({}).empty());
}

TEST_P(TopicAdminContract, PingsTheBroker) {
  const Status s = admin_->Ping();
  EXPECT_TRUE(s.ok()) << s.error();
}

}  // namespace
}  // namespace herald::kafka::testing
