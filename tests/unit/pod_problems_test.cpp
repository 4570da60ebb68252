// Reading why pods do not start from their container statuses.
#include "controller/pod_problems.h"

#include <gtest/gtest.h>

namespace mlmodel {
namespace {

using Json = web::json::value;

Json pod(const std::string& name, const std::string& statuses) {
  auto p = Json::parse(R"({"metadata":{},"status":{}})");
  p["metadata"]["name"] = Json::string(name);
  p["status"] = Json::parse(statuses);
  return p;
}

TEST(PodProblems, AnImagePullFailureIsFoundWithTheKubeletsMessage) {
  auto found = controller::findPodProblem({pod("a", R"({"containerStatuses":[
      {"name":"server","state":{"waiting":{"reason":"ErrImagePull",
       "message":"failed to pull image \"reg/x:1\": not found"}}}]})")});
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->reason, "ErrImagePull");
  EXPECT_EQ(controller::describe(*found),
            "pod a: container server: ErrImagePull: failed to pull image \"reg/x:1\": not found");
}

TEST(PodProblems, StartingRunningAndTerminatedContainersAreNoProblem) {
  EXPECT_FALSE(controller::findPodProblem({
      pod("a",
          R"({"containerStatuses":[{"name":"s","state":{"waiting":{"reason":"ContainerCreating"}}}]})"),
      pod("b", R"({"containerStatuses":[{"name":"s","state":{"running":{}}}]})"),
      pod("c",
          R"({"initContainerStatuses":[{"name":"i","state":{"terminated":{"reason":"Completed"}}}]})"),
      pod("d", R"({})"),
  }));
  EXPECT_FALSE(controller::findPodProblem({}));
}

TEST(PodProblems, InitContainersAndCrashLoopsCountAndTheFirstPodByNameIsReported) {
  auto found = controller::findPodProblem({
      pod("b",
          R"({"containerStatuses":[{"name":"s","state":{"waiting":{"reason":"CrashLoopBackOff"}}}]})"),
      pod("a", R"({"initContainerStatuses":[{"name":"init","state":{"waiting":
          {"reason":"CreateContainerConfigError","message":"secret \"x\" not found"}}}]})"),
  });
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->pod, "a");
  EXPECT_EQ(found->container, "init");
  EXPECT_EQ(found->reason, "CreateContainerConfigError");
}

}  // namespace
}  // namespace mlmodel
