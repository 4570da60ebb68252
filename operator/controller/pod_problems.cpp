#include "controller/pod_problems.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "core/json_read.h"

namespace mlmodel::controller {
namespace {

using Json = web::json::value;

// Waiting reasons that do not go away by waiting. ContainerCreating and PodInitializing are
// progress, not problems.
constexpr std::array<std::string_view, 8> kProblems = {
    "ErrImagePull",     "ImagePullBackOff",           "InvalidImageName",     "ErrImageNeverPull",
    "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError"};

std::optional<PodProblem> problemIn(const std::string& pod, const Json& statuses) {
  if (!statuses.is_array()) return std::nullopt;
  std::vector<const Json*> sorted;
  for (const auto& c : statuses.as_array()) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](const Json* a, const Json* b) {
    return core::jsonString(*a, {"name"}) < core::jsonString(*b, {"name"});
  });
  for (const Json* c : sorted) {
    if (!c->has_object_field("state") || !c->at("state").has_object_field("waiting")) continue;
    const Json& waiting = c->at("state").at("waiting");
    const std::string reason = core::jsonString(waiting, {"reason"});
    if (std::find(kProblems.begin(), kProblems.end(), reason) == kProblems.end()) continue;
    return PodProblem{reason, pod, core::jsonString(*c, {"name"}),
                      core::jsonString(waiting, {"message"})};
  }
  return std::nullopt;
}

}  // namespace

std::optional<PodProblem> findPodProblem(const std::vector<Json>& pods) {
  std::vector<const Json*> sorted;
  for (const auto& p : pods) {
    if (p.is_object() && p.has_object_field("metadata")) sorted.push_back(&p);
  }
  std::sort(sorted.begin(), sorted.end(), [](const Json* a, const Json* b) {
    return core::jsonString(a->at("metadata"), {"name"}) <
           core::jsonString(b->at("metadata"), {"name"});
  });
  for (const Json* p : sorted) {
    if (!p->has_object_field("status")) continue;
    const std::string name = core::jsonString(p->at("metadata"), {"name"});
    for (const char* field : {"initContainerStatuses", "containerStatuses"}) {
      if (!p->at("status").has_field(field)) continue;
      if (auto found = problemIn(name, p->at("status").at(field))) return found;
    }
  }
  return std::nullopt;
}

std::string describe(const PodProblem& p) {
  std::string out = "pod " + p.pod + ": container " + p.container + ": " + p.reason;
  if (!p.message.empty()) out += ": " + p.message;
  return out;
}

}  // namespace mlmodel::controller
