// TaskManagerRegistry alone: sessions, heartbeats and their fencing, expiry, slot accounting
// and the listing clients see.
#include "jobmanager/taskmanager_registry.h"

#include <gtest/gtest.h>

namespace ec {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'000'000);

class NullGateway : public TaskManagerGateway {
 public:
  absl::Status DeployTask(const proto::DeployTaskRequest&) override { return absl::OkStatus(); }
  absl::Status CancelTask(const proto::CancelTaskRequest&) override { return absl::OkStatus(); }
};

proto::RegisterTaskManagerRequest Request(const std::string& id, int slots) {
  proto::RegisterTaskManagerRequest request;
  request.set_taskmanager_id(id);
  request.set_rpc_address(id + ":1");
  request.set_data_address(id + ":2");
  request.set_slots(slots);
  return request;
}

TEST(TaskManagerRegistryTest, EachRegistrationGetsANewSession) {
  TaskManagerRegistry registry;
  const int64_t first = registry.Register(Request("tm-1", 2), nullptr, kNow);
  const int64_t second = registry.Register(Request("tm-2", 2), nullptr, kNow);
  const int64_t again = registry.Register(Request("tm-1", 2), nullptr, kNow);
  EXPECT_NE(first, second);
  EXPECT_NE(first, again);
  EXPECT_EQ(registry.SessionOf("tm-1"), again);
  EXPECT_EQ(registry.SessionOf("tm-3"), 0);
  EXPECT_TRUE(registry.Contains("tm-2"));
  EXPECT_EQ(registry.size(), 2);
}

TEST(TaskManagerRegistryTest, FirstHeartbeatOfAStreamPicksUpTheSession) {
  TaskManagerRegistry registry;
  const int64_t session = registry.Register(Request("tm-1", 2), nullptr, kNow);
  int64_t stream = 0;
  EXPECT_TRUE(registry.Heartbeat("tm-1", &stream, kNow + absl::Seconds(1)));
  EXPECT_EQ(stream, session);
  EXPECT_EQ(registry.Find("tm-1")->last_heartbeat, kNow + absl::Seconds(1));
}

TEST(TaskManagerRegistryTest, HeartbeatOfAnOlderRegistrationIsRejected) {
  TaskManagerRegistry registry;
  registry.Register(Request("tm-1", 2), nullptr, kNow);
  int64_t old_stream = 0;
  ASSERT_TRUE(registry.Heartbeat("tm-1", &old_stream, kNow));
  registry.Register(Request("tm-1", 2), nullptr, kNow);
  EXPECT_FALSE(registry.Heartbeat("tm-1", &old_stream, kNow + absl::Seconds(1)));
  EXPECT_EQ(registry.Find("tm-1")->last_heartbeat, kNow);
}

TEST(TaskManagerRegistryTest, HeartbeatOfAnUnknownTaskManagerIsRejected) {
  TaskManagerRegistry registry;
  int64_t stream = 0;
  EXPECT_FALSE(registry.Heartbeat("tm-1", &stream, kNow));
  EXPECT_EQ(stream, 0);
}

TEST(TaskManagerRegistryTest, ExpiredListsOnlyTaskManagersSilentPastTheTimeout) {
  TaskManagerRegistry registry;
  registry.Register(Request("tm-1", 1), nullptr, kNow);
  registry.Register(Request("tm-2", 1), nullptr, kNow);
  int64_t stream = 0;
  registry.Heartbeat("tm-2", &stream, kNow + absl::Seconds(4));
  EXPECT_TRUE(registry.Expired(kNow + absl::Seconds(5), absl::Seconds(5)).empty());
  EXPECT_EQ(registry.Expired(kNow + absl::Seconds(6), absl::Seconds(5)),
            std::vector<std::string>{"tm-1"});
}

TEST(TaskManagerRegistryTest, SlotsAreTakenAndGivenBack) {
  TaskManagerRegistry registry;
  registry.Register(Request("tm-1", 2), nullptr, kNow);
  registry.Register(Request("tm-2", 3), nullptr, kNow);
  EXPECT_EQ(registry.FreeSlots(), 5);
  registry.TakeSlot("tm-1");
  registry.TakeSlot("tm-2");
  EXPECT_EQ(registry.FreeSlots(), 3);
  EXPECT_EQ(registry.Find("tm-1")->used_slots, 1);
  registry.ReleaseSlot("tm-1");
  registry.ReleaseSlot("tm-1");  // none in use: stays at 0
  registry.ReleaseSlot("tm-9");  // unknown: no-op
  EXPECT_EQ(registry.Find("tm-1")->used_slots, 0);
  EXPECT_EQ(registry.FreeSlots(), 4);
}

TEST(TaskManagerRegistryTest, RegisteringAgainFreesAllItsSlots) {
  TaskManagerRegistry registry;
  registry.Register(Request("tm-1", 2), nullptr, kNow);
  registry.TakeSlot("tm-1");
  registry.Register(Request("tm-1", 4), nullptr, kNow);
  EXPECT_EQ(registry.FreeSlots(), 4);
}

TEST(TaskManagerRegistryTest, GatewayIsGoneOnceRemoved) {
  TaskManagerRegistry registry;
  auto gateway = std::make_shared<NullGateway>();
  registry.Register(Request("tm-1", 1), gateway, kNow);
  EXPECT_EQ(registry.GatewayOf("tm-1"), gateway);
  registry.Remove("tm-1");
  EXPECT_EQ(registry.GatewayOf("tm-1"), nullptr);
  EXPECT_EQ(registry.Find("tm-1"), nullptr);
  EXPECT_FALSE(registry.Contains("tm-1"));
  registry.Remove("tm-1");  // unknown: no-op
}

TEST(TaskManagerRegistryTest, ListShowsFreeSlotsAndLastHeartbeat) {
  TaskManagerRegistry registry;
  registry.Register(Request("tm-1", 3), nullptr, kNow);
  registry.TakeSlot("tm-1");
  std::vector<proto::TaskManagerInfo> list = registry.List();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id(), "tm-1");
  EXPECT_EQ(list[0].address(), "tm-1:1");
  EXPECT_EQ(list[0].data_address(), "tm-1:2");
  EXPECT_EQ(list[0].slots(), 3);
  EXPECT_EQ(list[0].free_slots(), 2);
  EXPECT_EQ(list[0].last_heartbeat_ms(), absl::ToUnixMillis(kNow));
}

}  // namespace
}  // namespace ec
