// The informer as a controller sees it: which handler calls a list, a watch and a relist
// produce, where each watch starts from, and when it waits. The ListerWatcher is scripted
// and time is a FakeClock; the test synchronises on handler calls, on the fake's recorded
// calls and on FakeClock::timedWaiters(), never on real time passing.
#include "kube/informer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "fake_lister_watcher.h"
#include "support/wait_until.h"

using namespace std::chrono_literals;
using mlmodel::core::Error;
using mlmodel::core::FakeClock;
using mlmodel::kube::EventHandlers;
using mlmodel::kube::Informer;
using mlmodel::kube::InformerOptions;
using mlmodel::kube::Json;
using mlmodel::kube::ObjectPtr;
using mlmodel::testutil::FakeListerWatcher;
using mlmodel::testutil::waitUntil;
using Ending = mlmodel::testutil::ScriptedLineStream::Ending;

namespace {

Json obj(const std::string& ns, const std::string& name, const std::string& rv,
         const std::string& extra = "") {
  return Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
                     R"(","namespace":")" + ns + R"(","resourceVersion":")" + rv + "\"" + extra +
                     "}}");
}

std::string event(const std::string& type, const Json& object) {
  Json e = Json::object();
  e["type"] = Json::string(type);
  e["object"] = object;
  return e.serialize();
}

std::string bookmark(const std::string& rv) {
  return event("BOOKMARK", Json::parse(R"({"kind":"ConfigMap","metadata":{"resourceVersion":")" +
                                       rv + R"("}})"));
}

std::string rvOf(const ObjectPtr& o) {
  return o ? o->at("metadata").at("resourceVersion").as_string() : "<null>";
}
std::string keyOf(const ObjectPtr& o) {
  const auto& m = o->at("metadata");
  return m.at("namespace").as_string() + "/" + m.at("name").as_string();
}

// Records handler calls as lines such as "add ml/a 1", "update ml/b 1->2",
// "delete ml/c 1 unknown".
class Recorder {
 public:
  EventHandlers handlers() {
    EventHandlers h;
    h.onAdd = [this](const ObjectPtr& o) { record("add " + keyOf(o) + " " + rvOf(o), o); };
    h.onUpdate = [this](const ObjectPtr& old, const ObjectPtr& o) {
      record("update " + keyOf(o) + " " + rvOf(old) + "->" + rvOf(o), o);
    };
    h.onDelete = [this](const ObjectPtr& o, bool unknown) {
      record("delete " + keyOf(o) + " " + rvOf(o) + (unknown ? " unknown" : ""), o);
    };
    return h;
  }
  bool waitFor(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return calls_.size() >= n; });
  }
  std::vector<std::string> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<ObjectPtr> objects() const {
    std::lock_guard lock(mu_);
    return objects_;
  }

 private:
  void record(std::string call, const ObjectPtr& o) {
    {
      std::lock_guard lock(mu_);
      calls_.push_back(std::move(call));
      objects_.push_back(o);
    }
    cv_.notify_all();
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> calls_;
  std::vector<ObjectPtr> objects_;
};

using Calls = std::vector<std::string>;

class InformerTest : public ::testing::Test {
 protected:
  InformerOptions options() {
    InformerOptions o;
    o.clock = &clock_;
    o.backoff = {.initial = 1s, .max = 8s, .factor = 2.0, .jitter = 0.0};
    o.minWatchTimeoutSeconds = 60;
    return o;
  }
  // Starts an informer with a recorder and waits for its first list to be in the cache.
  void startSynced(InformerOptions o) {
    informer_ = std::make_unique<Informer>(lw_, std::move(o));
    informer_->addHandlers(rec_.handlers());
    informer_->start();
    ASSERT_TRUE(informer_->waitForSync(clock_.steadyNow() + 10s));
  }
  void startSynced() { startSynced(options()); }

  // Declared before the informer: it must outlive the informer's thread.
  FakeClock clock_;
  FakeListerWatcher lw_;
  Recorder rec_;
  std::unique_ptr<Informer> informer_;
};

TEST_F(InformerTest, InitialListAddsEachObjectAndSyncs) {
  lw_.scriptList({obj("ml", "a", "1"), obj("ml", "b", "2"), obj("ml", "c", "3")}, "10");
  startSynced();

  EXPECT_TRUE(informer_->hasSynced());
  EXPECT_EQ(rec_.calls(), (Calls{"add ml/a 1", "add ml/b 2", "add ml/c 3"}));
  EXPECT_EQ(informer_->store().size(), 3u);
  EXPECT_EQ(rvOf(informer_->store().get("ml/b")), "2");
  // The watch starts from the list's resourceVersion.
  ASSERT_TRUE(lw_.waitForWatchCalls(1));
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10"}));
  const int timeout = lw_.watchTimeouts().at(0);
  EXPECT_GE(timeout, 60);
  EXPECT_LE(timeout, 120);
  EXPECT_EQ(informer_->relists(), 1u);
  EXPECT_EQ(lw_.listCalls(), 1u);
}

TEST_F(InformerTest, WatchEventsApplyInOrderAndBookmarkOnlyMovesTheVersion) {
  lw_.scriptList({obj("ml", "a", "1")}, "10");
  lw_.scriptWatch(
      {
          event("ADDED", obj("ml", "b", "11")),
          event("MODIFIED", obj("ml", "a", "12")),
          event("DELETED", obj("ml", "b", "13")),
          bookmark("20"),
      },
      Ending::Clean);
  startSynced();

  ASSERT_TRUE(lw_.waitForWatchCalls(2));
  EXPECT_EQ(rec_.calls(),
            (Calls{"add ml/a 1", "add ml/b 11", "update ml/a 1->12", "delete ml/b 13"}));
  // The bookmark called no handler but the next watch starts from it.
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10", "20"}));
  EXPECT_EQ(informer_->eventsProcessed(), 3u);
  EXPECT_EQ(informer_->store().keys(), (Calls{"ml/a"}));
  EXPECT_EQ(rvOf(informer_->store().get("ml/a")), "12");
  EXPECT_EQ(lw_.listCalls(), 1u);
}

// Handlers that never read the old object spare the store decoding its copy: they get an
// empty object in its place, while add, update and delete stay told apart.
TEST_F(InformerTest, HandlersThatReadNoOldObjectGetAnEmptyOne) {
  lw_.scriptList({obj("ml", "a", "1")}, "10");
  lw_.scriptWatch({event("MODIFIED", obj("ml", "a", "12")), event("ADDED", obj("ml", "b", "13")),
                   event("DELETED", obj("ml", "a", "14"))},
                  Ending::Block);
  auto h = rec_.handlers();
  h.onUpdate = [inner = h.onUpdate](const ObjectPtr& old, const ObjectPtr& o) {
    EXPECT_TRUE(old && old->is_null()) << old->serialize();
    inner(std::make_shared<const Json>(obj("ml", "old", "?")), o);
  };
  h.readsOld = false;
  informer_ = std::make_unique<Informer>(lw_, options());
  informer_->addHandlers(std::move(h));
  informer_->start();
  ASSERT_TRUE(rec_.waitFor(4));
  EXPECT_EQ(rec_.calls(),
            (Calls{"add ml/a 1", "update ml/a ?->12", "add ml/b 13", "delete ml/a 14"}));
  EXPECT_EQ(informer_->store().keys(), (Calls{"ml/b"}));
}

TEST_F(InformerTest, EventsOnAnOpenWatchReachHandlersAsTheyArrive) {
  lw_.scriptList({}, "10");
  auto stream = lw_.scriptWatch({}, Ending::Block);
  startSynced();
  ASSERT_TRUE(lw_.waitForWatchCalls(1));

  stream->push(event("ADDED", obj("ml", "a", "11")));
  ASSERT_TRUE(rec_.waitFor(1));
  EXPECT_EQ(rvOf(informer_->store().get("ml/a")), "11");
  stream->push(event("MODIFIED", obj("ml", "a", "12")));
  ASSERT_TRUE(rec_.waitFor(2));
  EXPECT_EQ(rec_.calls(), (Calls{"add ml/a 11", "update ml/a 11->12"}));
  EXPECT_EQ(lw_.watchCalls(), 1u);
}

TEST_F(InformerTest, ErrorEventRelistsAndTheRelistCallsHandlersOnlyForChanges) {
  lw_.scriptList({obj("ml", "a", "1"), obj("ml", "b", "1"), obj("ml", "c", "1")}, "10");
  lw_.scriptWatch({event("ERROR", Json::parse(R"({"kind":"Status","code":410,"reason":"Expired",
                                                  "message":"too old resource version"})"))},
                  Ending::Block);
  // a unchanged, b changed, c gone, d new.
  lw_.scriptList({obj("ml", "a", "1"), obj("ml", "b", "2"), obj("ml", "d", "1")}, "30");
  startSynced();

  ASSERT_TRUE(lw_.waitForWatchCalls(2));
  EXPECT_EQ(lw_.listCalls(), 2u);
  EXPECT_EQ(informer_->relists(), 2u);
  EXPECT_EQ(rec_.calls(), (Calls{"add ml/a 1", "add ml/b 1", "add ml/c 1", "update ml/b 1->2",
                                 "add ml/d 1", "delete ml/c 1 unknown"}));
  // The deleted object's last known state is what the handler got.
  const auto objects = rec_.objects();
  ASSERT_FALSE(objects.empty());
  ASSERT_NE(objects.back(), nullptr);
  EXPECT_EQ(objects.back()->at("metadata").at("name").as_string(), "c");
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10", "30"}));
  EXPECT_EQ(informer_->store().size(), 3u);
  EXPECT_EQ(informer_->store().get("ml/c"), nullptr);
  EXPECT_EQ(rvOf(informer_->store().get("ml/b")), "2");
  // The watch stream that carried the ERROR was not relied on after it.
  EXPECT_EQ(informer_->eventsProcessed(), 0u);
}

TEST_F(InformerTest, GoneOnWatchOpenRelists) {
  lw_.scriptList({obj("ml", "a", "1")}, "10");
  lw_.failWatch(Error{"too old resource version: 10 (50)", 410, "Expired"});
  lw_.scriptList({obj("ml", "a", "5")}, "50");
  startSynced();

  // No backoff first: the relist and the next watch need no clock advance.
  ASSERT_TRUE(lw_.waitForWatchCalls(2));
  EXPECT_EQ(lw_.listCalls(), 2u);
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10", "50"}));
  EXPECT_EQ(rec_.calls(), (Calls{"add ml/a 1", "update ml/a 1->5"}));
}

TEST_F(InformerTest, FailingListIsRetriedAfterBackoff) {
  lw_.failList(Error{"connection refused"});
  lw_.failList(Error{"internal error", 500});
  lw_.scriptList({obj("ml", "a", "1")}, "10");
  informer_ = std::make_unique<Informer>(lw_, options());
  informer_->addHandlers(rec_.handlers());
  informer_->start();

  // First failure: it waits 1s.
  ASSERT_TRUE(lw_.waitForListCalls(1));
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "timed waiters: " << clock_.timedWaiters();
  clock_.advance(999ms);
  EXPECT_EQ(clock_.timedWaiters(), 1u);
  EXPECT_EQ(lw_.listCalls(), 1u);
  EXPECT_FALSE(informer_->hasSynced());
  clock_.advance(1ms);

  // Second failure: the wait doubles to 2s.
  ASSERT_TRUE(lw_.waitForListCalls(2));
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "timed waiters: " << clock_.timedWaiters();
  clock_.advance(1999ms);
  EXPECT_EQ(lw_.listCalls(), 2u);
  EXPECT_FALSE(informer_->hasSynced());
  clock_.advance(1ms);

  ASSERT_TRUE(lw_.waitForListCalls(3));
  ASSERT_TRUE(informer_->waitForSync(clock_.steadyNow() + 10s));
  EXPECT_EQ(rec_.calls(), (Calls{"add ml/a 1"}));
  ASSERT_TRUE(lw_.waitForWatchCalls(1));
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10"}));
}

TEST_F(InformerTest, WaitForSyncIsFalseAtTheDeadlineAndOnStop) {
  lw_.failList(Error{"connection refused"});
  informer_ = std::make_unique<Informer>(lw_, options());
  informer_->start();
  ASSERT_TRUE(lw_.waitForListCalls(1));
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "timed waiters: " << clock_.timedWaiters();  // in backoff (1s)

  // A std::async future's destructor waits for its call. When an ASSERT returns early,
  // the guard (destroyed first) stops the informer, which ends both waitForSync calls.
  std::future<bool> early, forever;
  struct StopOnExit {
    Informer& informer;
    ~StopOnExit() { informer.stop(); }
  } stopOnExit{*informer_};
  early = std::async(std::launch::async,
                     [&] { return informer_->waitForSync(clock_.steadyNow() + 500ms); });
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 2; }))
      << "timed waiters: " << clock_.timedWaiters();
  clock_.advance(500ms);
  ASSERT_EQ(early.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(early.get());
  EXPECT_EQ(lw_.listCalls(), 1u);  // the informer's own 1s wait has not elapsed

  forever = std::async(std::launch::async,
                       [&] { return informer_->waitForSync(clock_.steadyNow() + 1h); });
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 2; }))
      << "timed waiters: " << clock_.timedWaiters();
  informer_->stop();
  ASSERT_EQ(forever.wait_for(10s), std::future_status::ready);
  EXPECT_FALSE(forever.get());
  EXPECT_FALSE(informer_->hasSynced());
}

TEST_F(InformerTest, BrokenStreamBacksOffThenRewatchesFromTheSameVersion) {
  lw_.scriptList({obj("ml", "a", "1")}, "10");
  lw_.scriptWatch({}, Ending::Error);
  startSynced();

  ASSERT_TRUE(lw_.waitForWatchCalls(1));
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "timed waiters: " << clock_.timedWaiters();
  clock_.advance(999ms);
  EXPECT_EQ(lw_.watchCalls(), 1u);
  clock_.advance(1ms);
  ASSERT_TRUE(lw_.waitForWatchCalls(2));
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10", "10"}));
  EXPECT_EQ(lw_.listCalls(), 1u);
  EXPECT_EQ(rec_.calls(), (Calls{"add ml/a 1"}));
}

TEST_F(InformerTest, FailedWatchOpenBacksOffThenRewatchesWithoutRelisting) {
  lw_.scriptList({}, "10");
  lw_.failWatch(Error{"internal error", 500, "InternalError"});
  lw_.failWatch(Error{"connection refused"});
  startSynced();

  ASSERT_TRUE(lw_.waitForWatchCalls(1));
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "timed waiters: " << clock_.timedWaiters();
  clock_.advance(1s);
  ASSERT_TRUE(lw_.waitForWatchCalls(2));
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "timed waiters: " << clock_.timedWaiters();
  clock_.advance(1999ms);  // doubled
  EXPECT_EQ(lw_.watchCalls(), 2u);
  clock_.advance(1ms);
  ASSERT_TRUE(lw_.waitForWatchCalls(3));
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10", "10", "10"}));
  EXPECT_EQ(lw_.listCalls(), 1u);
}

TEST_F(InformerTest, StreamThatBrokeAfterEventsIsReopenedAtOnceFromTheLastVersion) {
  lw_.scriptList({}, "10");
  lw_.scriptWatch({event("ADDED", obj("ml", "a", "11"))}, Ending::Error);
  startSynced();

  // The connection was useful, so there is no backoff: no clock advance needed.
  ASSERT_TRUE(lw_.waitForWatchCalls(2));
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10", "11"}));
  EXPECT_EQ(lw_.listCalls(), 1u);
}

TEST_F(InformerTest, CleanEndRewatchesFromTheLastVersionWithoutRelisting) {
  lw_.scriptList({obj("ml", "a", "1")}, "10");
  lw_.scriptWatch({event("MODIFIED", obj("ml", "a", "15"))}, Ending::Clean);
  lw_.scriptWatch({}, Ending::Clean);  // a quiet watch that timed out
  startSynced();

  ASSERT_TRUE(lw_.waitForWatchCalls(3));
  EXPECT_EQ(lw_.watchVersions(), (Calls{"10", "15", "15"}));
  EXPECT_EQ(lw_.listCalls(), 1u);
  EXPECT_EQ(informer_->relists(), 1u);
  EXPECT_EQ(clock_.timedWaiters(), 0u);
  EXPECT_EQ(rec_.calls(), (Calls{"add ml/a 1", "update ml/a 1->15"}));
}

TEST_F(InformerTest, DefaultTransformDropsManagedFieldsAndLastAppliedAnnotation) {
  const std::string noise =
      R"(,"managedFields":[{"manager":"kubectl","operation":"Apply"}],)"
      R"("annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{...}","keep":"yes"})";
  lw_.scriptList({obj("ml", "a", "1", noise)}, "10");
  lw_.scriptWatch({event("ADDED", obj("ml", "b", "11", noise))}, Ending::Block);
  startSynced();
  ASSERT_TRUE(rec_.waitFor(2));

  for (const auto& key : {"ml/a", "ml/b"}) {
    auto cached = informer_->store().get(key);
    ASSERT_NE(cached, nullptr) << key;
    const auto& meta = cached->at("metadata");
    EXPECT_FALSE(meta.has_field("managedFields")) << key;
    EXPECT_FALSE(
        meta.at("annotations").has_field("kubectl.kubernetes.io/last-applied-configuration"))
        << key;
    EXPECT_EQ(meta.at("annotations").at("keep").as_string(), "yes") << key;
  }
  for (const auto& o : rec_.objects()) {
    ASSERT_NE(o, nullptr);
    EXPECT_FALSE(o->at("metadata").has_field("managedFields"));
  }
}

TEST_F(InformerTest, CustomTransformIsAppliedToListedAndWatchedObjects) {
  lw_.scriptList({obj("ml", "a", "1", R"(,"labels":{"big":"x"})")}, "10");
  lw_.scriptWatch({event("ADDED", obj("ml", "b", "11", R"(,"labels":{"big":"y"})"))},
                  Ending::Block);
  auto o = options();
  o.transform = [](Json j) {
    j["metadata"].erase("labels");
    j["metadata"]["annotations"] = Json::parse(R"({"seen":"true"})");
    return j;
  };
  startSynced(std::move(o));
  ASSERT_TRUE(rec_.waitFor(2));
  for (const auto& key : {"ml/a", "ml/b"}) {
    auto cached = informer_->store().get(key);
    ASSERT_NE(cached, nullptr) << key;
    EXPECT_FALSE(cached->at("metadata").has_field("labels")) << key;
    EXPECT_EQ(cached->at("metadata").at("annotations").at("seen").as_string(), "true") << key;
  }
}

TEST_F(InformerTest, IndexesFollowListAndWatch) {
  lw_.scriptList({obj("ml", "a", "1", R"(,"labels":{"app":"fraud"})"),
                  obj("ml", "b", "1", R"(,"labels":{"app":"churn"})")},
                 "10");
  auto stream = lw_.scriptWatch({}, Ending::Block);
  informer_ = std::make_unique<Informer>(lw_, options());
  informer_->addIndex("app", [](const Json& o) -> std::vector<std::string> {
    const auto& m = o.at("metadata");
    if (!m.has_object_field("labels") || !m.at("labels").has_string_field("app")) return {};
    return {m.at("labels").at("app").as_string()};
  });
  informer_->addHandlers(rec_.handlers());
  informer_->start();
  ASSERT_TRUE(informer_->waitForSync(clock_.steadyNow() + 10s));
  EXPECT_EQ(informer_->store().byIndex("app", "fraud").size(), 1u);

  stream->push(event("MODIFIED", obj("ml", "b", "11", R"(,"labels":{"app":"fraud"})")));
  ASSERT_TRUE(rec_.waitFor(3));
  EXPECT_EQ(informer_->store().byIndex("app", "fraud").size(), 2u);
  EXPECT_TRUE(informer_->store().byIndex("app", "churn").empty());
}

TEST_F(InformerTest, StopDuringABlockedWatchReturns) {
  lw_.scriptList({obj("ml", "a", "1")}, "10");
  startSynced();  // the watch is not scripted: it stays open and quiet
  ASSERT_TRUE(lw_.waitForWatchCalls(1));
  auto stream = lw_.stream(0);
  ASSERT_TRUE(waitUntil([&] { return stream->drainedAndWaiting(); }));

  informer_->stop();  // returns only once the informer's thread has ended
  EXPECT_TRUE(stream->cancelled());
  EXPECT_EQ(lw_.watchCalls(), 1u);
  EXPECT_EQ(lw_.listCalls(), 1u);
  EXPECT_TRUE(informer_->hasSynced());
  informer_->stop();  // twice is fine
}

TEST_F(InformerTest, StopDuringBackoffReturns) {
  lw_.failList(Error{"connection refused"});
  informer_ = std::make_unique<Informer>(lw_, options());
  informer_->start();
  ASSERT_TRUE(lw_.waitForListCalls(1));
  ASSERT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 1; }))
      << "timed waiters: " << clock_.timedWaiters();
  informer_->stop();
  EXPECT_EQ(lw_.listCalls(), 1u);
  EXPECT_EQ(clock_.timedWaiters(), 0u);
}

}  // namespace
