#include "kube/event_recorder.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <regex>
#include <set>
#include <string>
#include <thread>

#include "core/clock.h"
#include "fake_transport.h"
#include "kube/rest_client.h"
#include "support/wait_until.h"

using namespace std::chrono_literals;
using mlmodel::core::Duration;
using mlmodel::core::FakeClock;
using mlmodel::core::WallTime;
using mlmodel::http::Request;
using mlmodel::kube::Client;
using mlmodel::kube::ClientOptions;
using mlmodel::kube::EventRecorder;
using mlmodel::kube::EventRecorderOptions;
using mlmodel::kube::EventType;
using mlmodel::kube::formatMicroTime;
using mlmodel::kube::Json;
using mlmodel::kube::ObjectReference;
using mlmodel::kube::RecordingEventEmitter;
using mlmodel::testutil::FakeTransport;
using mlmodel::testutil::waitUntil;

namespace {

constexpr const char* kEvents = "/apis/events.k8s.io/v1/namespaces/ml/events";

std::string str(const Json& v, const char* field) { return v.at(field).as_string(); }

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderTest() {
    auto transport = std::make_unique<FakeTransport>();
    fake_ = transport.get();
    ClientOptions options;
    options.clock = &clock_;
    options.sleep = [](Duration) {};
    client_ = std::make_unique<Client>(std::move(transport), nullptr, options);
  }

  // Without a thread: the test sends with processPending().
  EventRecorder& recorder(EventRecorderOptions options = {}) {
    options.clock = &clock_;
    options.reportingInstance = "mlmodel-operator-7d9f-abc12";
    options.background = false;
    options.senders = 1;  // requests in the order of the emits (SeveralSenders* test more)
    recorder_ = std::make_unique<EventRecorder>(*client_, std::move(options));
    return *recorder_;
  }

  bool emit(const std::string& reason = "RolloutAborted",
            const std::string& note = "error-rate 0.04 > 0.01") {
    return recorder_->emit(model_, EventType::kWarning, reason, "Rollback", note);
  }

  Request request(std::size_t i) const { return fake_->requests().at(i); }
  Json body(std::size_t i) const { return Json::parse(request(i).body); }

  // Answers the next create with a 201 echoing a minimal Event.
  void respondCreated() { fake_->respond(201, R"({"kind":"Event"})"); }
  void respondPatched() { fake_->respond(200, R"({"kind":"Event"})"); }

  FakeClock clock_;
  FakeTransport* fake_ = nullptr;
  std::unique_ptr<Client> client_;
  std::unique_ptr<EventRecorder> recorder_;
  ObjectReference model_{"serving.mlops.dev/v1alpha1", "MLModel", "ml", "fraud", "uid-1", "42"};
};

}  // namespace

TEST(EventMicroTimeTest, IsRfc3339InUtcWithMicroseconds) {
  const WallTime t = WallTime{} + 1714564800s + 123456789ns;  // 2024-05-01T12:00:00Z
  EXPECT_EQ(formatMicroTime(t), "2024-05-01T12:00:00.123456Z");
  EXPECT_EQ(formatMicroTime(WallTime{}), "1970-01-01T00:00:00.000000Z");
}

TEST(EventObjectReferenceTest, IsTakenFromTheObject) {
  const auto ref = ObjectReference::of(
      Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"namespace":"ml",)"
                  R"("name":"fraud","uid":"u-1","resourceVersion":"7","labels":{}}})"));
  EXPECT_EQ(ref.apiVersion, "apps/v1");
  EXPECT_EQ(ref.kind, "Deployment");
  EXPECT_EQ(ref.ns, "ml");
  EXPECT_EQ(ref.name, "fraud");
  EXPECT_EQ(ref.uid, "u-1");
  EXPECT_EQ(ref.resourceVersion, "7");
}

TEST_F(EventRecorderTest, FirstEmitCreatesAnEvent) {
  auto& events = recorder();
  respondCreated();
  ASSERT_TRUE(emit());
  EXPECT_EQ(fake_->requestCount(), 0u);  // emit() only queues
  EXPECT_EQ(events.processPending(), 1u);

  const auto r = request(0);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, kEvents);
  // The Client sends JSON bodies as application/json unless told otherwise.
  EXPECT_FALSE(r.headers.contains("Content-Type"));
  const auto e = body(0);
  EXPECT_EQ(str(e, "apiVersion"), "events.k8s.io/v1");
  EXPECT_EQ(str(e, "kind"), "Event");
  EXPECT_EQ(str(e.at("metadata"), "namespace"), "ml");
  EXPECT_TRUE(std::regex_match(str(e.at("metadata"), "name"), std::regex(R"(fraud\.[0-9a-f]+)")))
      << str(e.at("metadata"), "name");
  EXPECT_EQ(str(e, "eventTime"), formatMicroTime(clock_.wallNow()));
  EXPECT_TRUE(std::regex_match(str(e, "eventTime"),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)")));
  EXPECT_EQ(str(e, "reportingController"), "mlmodel-operator");
  EXPECT_EQ(str(e, "reportingInstance"), "mlmodel-operator-7d9f-abc12");
  EXPECT_EQ(str(e, "type"), "Warning");
  EXPECT_EQ(str(e, "reason"), "RolloutAborted");
  EXPECT_EQ(str(e, "action"), "Rollback");
  EXPECT_EQ(str(e, "note"), "error-rate 0.04 > 0.01");
  EXPECT_FALSE(e.has_field("series"));
  const auto& regarding = e.at("regarding");
  EXPECT_EQ(str(regarding, "apiVersion"), "serving.mlops.dev/v1alpha1");
  EXPECT_EQ(str(regarding, "kind"), "MLModel");
  EXPECT_EQ(str(regarding, "namespace"), "ml");
  EXPECT_EQ(str(regarding, "name"), "fraud");
  EXPECT_EQ(str(regarding, "uid"), "uid-1");
  EXPECT_EQ(str(regarding, "resourceVersion"), "42");
}

TEST_F(EventRecorderTest, RepeatWithinTheWindowPatchesTheSeries) {
  auto& events = recorder();
  respondCreated();
  respondPatched();
  emit();
  events.processPending();
  const auto name = str(body(0).at("metadata"), "name");
  clock_.advance(10s);
  model_.resourceVersion = "43";  // a status write in between: still the same Event
  emit();
  EXPECT_EQ(events.processPending(), 1u);

  const auto r = request(1);
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.target, std::string(kEvents) + "/" + name);
  EXPECT_EQ(r.headers.at("Content-Type"), "application/merge-patch+json");
  const auto patch = body(1);
  EXPECT_EQ(patch.at("series").at("count").as_integer(), 2);
  EXPECT_EQ(str(patch.at("series"), "lastObservedTime"), formatMicroTime(clock_.wallNow()));
  EXPECT_EQ(patch.size(), 1u);  // nothing but the series
}

TEST_F(EventRecorderTest, LaterRepeatsAreWrittenOncePerHeartbeat) {
  auto& events = recorder();
  respondCreated();
  respondPatched();
  respondPatched();
  emit();
  emit();
  EXPECT_EQ(events.processPending(), 2u);  // create, then count 2 at once
  for (int i = 0; i < 3; ++i) {
    clock_.advance(5s);
    emit();
    EXPECT_EQ(events.processPending(), 0u);  // counts 3..5 wait for the heartbeat
  }
  const auto lastSeen = clock_.wallNow();
  clock_.advance(15s);  // 30 s after the count-2 patch
  EXPECT_EQ(events.processPending(), 1u);
  const auto patch = body(2);
  EXPECT_EQ(request(2).method, "PATCH");
  EXPECT_EQ(patch.at("series").at("count").as_integer(), 5);
  EXPECT_EQ(str(patch.at("series"), "lastObservedTime"), formatMicroTime(lastSeen));
  clock_.advance(30s);
  EXPECT_EQ(events.processPending(), 0u);  // nothing new to say
}

TEST_F(EventRecorderTest, DifferentReasonCreatesAnotherEvent) {
  auto& events = recorder();
  respondCreated();
  respondCreated();
  emit("RolloutAborted");
  emit("RolloutPromoted");
  EXPECT_EQ(events.processPending(), 2u);
  EXPECT_EQ(request(0).method, "POST");
  EXPECT_EQ(request(1).method, "POST");
  EXPECT_EQ(str(body(1), "reason"), "RolloutPromoted");
  EXPECT_NE(str(body(0).at("metadata"), "name"), str(body(1).at("metadata"), "name"));
}

TEST_F(EventRecorderTest, RepeatAfterTheWindowCreatesANewEvent) {
  auto& events = recorder();
  respondCreated();
  respondCreated();
  emit();
  events.processPending();
  clock_.advance(6min + 1s);
  emit();
  EXPECT_EQ(events.processPending(), 1u);
  EXPECT_EQ(request(1).method, "POST");
  EXPECT_FALSE(body(1).has_field("series"));
  EXPECT_NE(str(body(0).at("metadata"), "name"), str(body(1).at("metadata"), "name"));
  EXPECT_EQ(str(body(1), "eventTime"), formatMicroTime(clock_.wallNow()));
}

TEST_F(EventRecorderTest, EndedSeriesWritesItsLastCount) {
  auto& events = recorder();
  respondCreated();
  respondPatched();
  respondPatched();
  emit();
  emit();
  emit();  // count 3 waits for the heartbeat
  EXPECT_EQ(events.processPending(), 2u);
  clock_.advance(10min);  // the series ends before its heartbeat came
  EXPECT_EQ(events.processPending(), 1u);
  EXPECT_EQ(body(2).at("series").at("count").as_integer(), 3);
}

TEST_F(EventRecorderTest, FullQueueDropsAndCounts) {
  auto& events = recorder({.queueSize = 2});
  EXPECT_TRUE(emit("A"));
  EXPECT_TRUE(emit("B"));
  EXPECT_FALSE(emit("C"));
  EXPECT_FALSE(emit("D"));
  EXPECT_EQ(events.dropped(), 2u);
  EXPECT_EQ(events.queued(), 2u);

  respondCreated();
  respondCreated();
  EXPECT_EQ(events.processPending(), 2u);
  EXPECT_EQ(str(body(0), "reason"), "A");
  EXPECT_EQ(str(body(1), "reason"), "B");
  EXPECT_TRUE(emit("E"));  // room again
  EXPECT_EQ(events.dropped(), 2u);
}

TEST_F(EventRecorderTest, PatchOfAVanishedEventCreatesANewOne) {
  auto& events = recorder();
  respondCreated();
  fake_->respond(404, R"({"kind":"Status","status":"Failure","reason":"NotFound","code":404})");
  respondCreated();
  emit();
  events.processPending();
  emit();
  EXPECT_EQ(events.processPending(), 2u);

  EXPECT_EQ(request(1).method, "PATCH");
  EXPECT_EQ(request(2).method, "POST");
  EXPECT_EQ(request(2).target, kEvents);
  const auto e = body(2);
  EXPECT_NE(str(e.at("metadata"), "name"), str(body(0).at("metadata"), "name"));
  EXPECT_EQ(e.at("series").at("count").as_integer(), 2);  // the count is kept
  EXPECT_EQ(str(e, "reason"), "RolloutAborted");

  respondPatched();
  clock_.advance(30s);
  emit();
  events.processPending();
  EXPECT_EQ(request(3).method, "PATCH");  // the new Event carries the series on
  EXPECT_EQ(request(3).target, std::string(kEvents) + "/" + str(e.at("metadata"), "name"));
}

TEST_F(EventRecorderTest, NoteIsCutTo1024BytesOnACharacterBoundary) {
  auto& events = recorder();
  respondCreated();
  respondCreated();
  emit("Long", std::string(5000, 'x'));
  emit("Utf8", std::string(1023, 'a') + "\xc3\xa9");  // "é" would straddle the limit
  events.processPending();
  EXPECT_EQ(str(body(0), "note"), std::string(1024, 'x'));
  EXPECT_EQ(str(body(1), "note"), std::string(1023, 'a'));
}

TEST_F(EventRecorderTest, ClusterScopedObjectsGetEventsInDefault) {
  auto& events = recorder();
  respondCreated();
  events.emit({"v1", "Namespace", "", "ml", "u-ns", ""}, EventType::kNormal, "Adopted", "Adopt",
              "");
  events.processPending();
  EXPECT_EQ(request(0).target, "/apis/events.k8s.io/v1/namespaces/default/events");
  const auto e = body(0);
  EXPECT_EQ(str(e, "type"), "Normal");
  EXPECT_FALSE(e.at("regarding").has_field("namespace"));
  EXPECT_FALSE(e.has_field("note"));
}

TEST_F(EventRecorderTest, EventsWithoutReasonOrActionAreRefused) {
  auto& events = recorder();
  EXPECT_FALSE(events.emit(model_, EventType::kNormal, "", "Act", "n"));
  EXPECT_FALSE(events.emit(model_, EventType::kNormal, "Reason", "", "n"));
  EXPECT_EQ(events.queued(), 0u);
}

TEST_F(EventRecorderTest, FailedCreateIsRetriedAfterTheHeartbeatWithTheSameName) {
  auto& events = recorder();
  fake_->fail("connection reset");
  emit();
  EXPECT_EQ(events.processPending(), 1u);
  EXPECT_EQ(events.processPending(), 0u);  // not before the heartbeat
  respondCreated();
  clock_.advance(30s);
  EXPECT_EQ(events.processPending(), 1u);
  EXPECT_EQ(request(1).method, "POST");
  EXPECT_EQ(str(body(1).at("metadata"), "name"), str(body(0).at("metadata"), "name"));
}

TEST_F(EventRecorderTest, RejectedEventIsGivenUp) {
  auto& events = recorder();
  fake_->respond(422, R"({"kind":"Status","reason":"Invalid","code":422})");
  emit();
  EXPECT_EQ(events.processPending(), 1u);
  clock_.advance(1min);
  EXPECT_EQ(events.processPending(), 0u);
}

TEST_F(EventRecorderTest, StopSendsWhatIsQueuedThenRefuses) {
  auto& events = recorder();
  respondCreated();
  respondCreated();
  emit("A");
  emit("B");
  events.stop(5s);
  EXPECT_EQ(fake_->requestCount(), 2u);
  EXPECT_FALSE(emit("C"));
  EXPECT_EQ(events.dropped(), 0u);
}

TEST_F(EventRecorderTest, StopWithoutTimeLeftDropsTheRest) {
  auto& events = recorder();
  emit("A");
  emit("B");
  events.stop(Duration::zero());
  EXPECT_EQ(fake_->requestCount(), 0u);
  EXPECT_EQ(events.dropped(), 2u);
}

TEST_F(EventRecorderTest, BackgroundThreadSends) {
  EventRecorderOptions options;
  options.clock = &clock_;
  EventRecorder events(*client_, options);
  respondCreated();
  respondPatched();
  events.emit(model_, EventType::kNormal, "Ready", "Reconcile", "all replicas ready");
  // Waits for the sender thread to act, not for time to pass.
  ASSERT_TRUE(waitUntil([&] { return fake_->requestCount() >= 1; }))
      << "the background sender never sent the first Event";
  events.emit(model_, EventType::kNormal, "Ready", "Reconcile", "all replicas ready");
  ASSERT_TRUE(waitUntil([&] { return fake_->requestCount() >= 2; }))
      << "the background sender never sent the second Event";
  events.stop(5s);
  EXPECT_EQ(request(0).method, "POST");
  EXPECT_EQ(request(1).method, "PATCH");
  EXPECT_FALSE(events.emit(model_, EventType::kNormal, "Ready", "Reconcile", "x"));
}

TEST_F(EventRecorderTest, SeriesEndingASecondApartEndInOneWakeAtTheNextTenSeconds) {
  // Thousands of models turn Ready within seconds; their series end as far apart. The
  // sender wakes once per 10 s boundary for all the series ended by then, not per series.
  EventRecorderOptions options;
  options.clock = &clock_;
  options.senders = 1;
  EventRecorder events(*client_, options);
  const auto start = clock_.steadyNow();
  respondCreated();
  respondCreated();
  respondCreated();
  clock_.advance(2s);
  events.emit(model_, EventType::kNormal, "Ready", "Reconcile", "all replicas ready");
  ASSERT_TRUE(waitUntil([&] { return fake_->requestCount() == 1; }));
  clock_.advance(1s);
  events.emit(model_, EventType::kNormal, "ImageResolved", "Resolve", "sha256:abc");
  ASSERT_TRUE(waitUntil([&] { return fake_->requestCount() == 2; }));

  // The windows (6 min) end at 6:02 and 6:03; the sender means to wake once, at 6:10.
  const auto boundary = start + 6min + 10s;
  std::vector<mlmodel::core::SteadyTime> waits;
  EXPECT_TRUE(waitUntil([&] {
    waits = clock_.deadlines();
    return waits == std::vector{boundary};
  })) << "the sender waits for "
      << waits.size() << " deadline(s), the first "
      << (waits.empty() ? -1 : (waits[0] - start) / 1s) << " s in";
  clock_.advance(6min + 6s);  // 6:09, past both windows' ends
  EXPECT_EQ(clock_.deadlines(), std::vector{boundary}) << "woken before the boundary";
  clock_.advance(1s);
  // Both series are gone: nothing left to wake for.
  EXPECT_TRUE(waitUntil([&] { return clock_.timedWaiters() == 0; }))
      << "the sender still waits for a deadline at the boundary";
  EXPECT_EQ(fake_->requestCount(), 2u) << "an ended series with nothing unwritten sends nothing";

  // A repeat now starts a new Event instead of patching the ended series.
  events.emit(model_, EventType::kNormal, "Ready", "Reconcile", "all replicas ready");
  ASSERT_TRUE(waitUntil([&] { return fake_->requestCount() == 3; }));
  events.stop(5s);
  EXPECT_EQ(request(2).method, "POST");
}

TEST_F(EventRecorderTest, SeveralSendersShareOneQueueBoundAndKeepEachObjectsOrder) {
  EventRecorderOptions options;
  options.clock = &clock_;
  options.background = false;
  options.senders = 4;
  options.queueSize = 6;
  EventRecorder events(*client_, options);
  auto about = [](int i) {
    return ObjectReference{
        "serving.mlops.dev/v1alpha1", "MLModel", "ml", "model-" + std::to_string(i),
        "uid-" + std::to_string(i),   "1"};
  };
  // The bound is on all senders together.
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(events.emit(about(i), EventType::kNormal, "ModelReady", "Reconcile", "ready"));
  EXPECT_TRUE(events.emit(about(0), EventType::kNormal, "DeploymentUpdated", "Apply", "again"));
  EXPECT_FALSE(events.emit(about(6), EventType::kNormal, "ModelReady", "Reconcile", "ready"));
  EXPECT_EQ(events.queued(), 6u);
  EXPECT_EQ(events.dropped(), 1u);

  for (int i = 0; i < 6; ++i) respondCreated();
  EXPECT_EQ(events.processPending(), 6u);
  EXPECT_EQ(events.queued(), 0u);
  // Every object's Event arrived, and model-0's two in the order they happened.
  std::vector<std::string> model0;
  std::set<std::string> objects;
  for (std::size_t i = 0; i < 6; ++i) {
    const auto e = body(i);
    const auto name = str(e.at("regarding"), "name");
    objects.insert(name);
    if (name == "model-0") model0.push_back(str(e, "reason"));
  }
  EXPECT_EQ(objects.size(), 5u);
  EXPECT_EQ(model0, (std::vector<std::string>{"ModelReady", "DeploymentUpdated"}));
}

TEST_F(EventRecorderTest, SeveralSenderThreadsSendEveryEvent) {
  EventRecorderOptions options;
  options.clock = &clock_;
  options.senders = 4;
  EventRecorder events(*client_, options);
  constexpr int kObjects = 40;
  for (int i = 0; i < kObjects; ++i) respondCreated();
  for (int i = 0; i < kObjects; ++i) {
    ObjectReference r{"serving.mlops.dev/v1alpha1", "MLModel", "ml", "m-" + std::to_string(i),
                      "u-" + std::to_string(i),     "1"};
    ASSERT_TRUE(events.emit(r, EventType::kNormal, "ModelReady", "Reconcile", "ready"));
  }
  events.stop(5s);  // sends what is queued first
  EXPECT_EQ(fake_->requestCount(), static_cast<std::size_t>(kObjects));
  std::set<std::string> names;
  for (std::size_t i = 0; i < kObjects; ++i) names.insert(str(body(i).at("regarding"), "name"));
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kObjects));
  EXPECT_EQ(events.dropped(), 0u);
}

// Holds every request about "slow-model" until released; answers the others at once.
class HoldingTransport final : public mlmodel::http::Transport {
 public:
  mlmodel::core::Result<mlmodel::http::Response> send(const Request& request) override {
    std::unique_lock<std::mutex> lock(mu_);
    if (request.body.find("slow-model") != std::string::npos) {
      cv_.wait(lock, [this] { return released_; });
    } else {
      ++answered_;
    }
    cv_.notify_all();
    return mlmodel::http::Response{201, {}, R"({"kind":"Event"})"};
  }
  mlmodel::core::Result<mlmodel::http::StreamResponse> stream(const Request&) override {
    return mlmodel::core::Error{"not used"};
  }
  // Waits (up to `limit`, real time: the senders are real threads) for `n` answers.
  bool waitAnswered(int n, std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return answered_ >= n; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int answered_ = 0;
};

TEST(EventRecorderSendersTest, ASlowRequestHoldsUpOnlyItsOwnSender) {
  auto transport = std::make_unique<HoldingTransport>();
  HoldingTransport& held = *transport;
  ClientOptions copts;
  copts.sleep = [](Duration) {};
  Client client(std::move(transport), nullptr, copts);
  EventRecorderOptions options;
  options.senders = 4;
  EventRecorder events(client, options);
  // An ASSERT below returns early: release the held request before `events` is destroyed,
  // or stopping it would wait for that request forever.
  struct Release {
    HoldingTransport& transport;
    ~Release() { transport.release(); }
  } releaseOnExit{held};
  auto about = [](const std::string& name) {
    return ObjectReference{"serving.mlops.dev/v1alpha1", "MLModel", "ml", name, "uid-" + name, "1"};
  };
  ASSERT_TRUE(events.emit(about("slow-model"), EventType::kNormal, "ModelReady", "Reconcile", "r"));
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(events.emit(about("m-" + std::to_string(i)), EventType::kNormal, "ModelReady",
                            "Reconcile", "r"));
  }
  // With one sender every Event would wait behind the held one (this fails with
  // senders = 1); with four, the objects of the other three senders are sent meanwhile.
  EXPECT_TRUE(held.waitAnswered(10, std::chrono::seconds(10)));
  held.release();
  events.stop(std::chrono::seconds(5));
  EXPECT_EQ(events.dropped(), 0u);
}

TEST(RecordingEventEmitterTest, KeepsWhatItWasGiven) {
  RecordingEventEmitter emitter;
  emitter.emit({"v1", "Pod", "ml", "p", "", ""}, EventType::kWarning, "Failed", "Pull", "boom");
  ASSERT_EQ(emitter.events().size(), 1u);
  EXPECT_EQ(emitter.events()[0].reason, "Failed");
  EXPECT_EQ(emitter.events()[0].type, EventType::kWarning);
}
