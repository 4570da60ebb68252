#include "controller/pod_problems.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace mlmodel::controller {
namespace {

using Json = web::json::value;

// Waiting reasons that do not go away by waiting. ContainerCreating and PodInitializing are
// progress, not problems.
constexpr std::array<std::string_view, 8> kProblems = {
    "ErrImagePull",     "ImagePullBackOff",           "InvalidImageName",     "ErrImageNeverPull",
    "CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError", "RunContainerError"};

std::string stringAt(const Json& o, const char* field) {
  return o.is_object() && o.has_string_field(field) ? o.at(field).as_string() : "";
}

std::optional<PodProblem> problemIn(const std::string& pod, const Json& statuses) {
  if (!statuses.is_array()) return std::nullopt;
  std::vector<const Json*> sorted;
  for (const auto& c : statuses.as_array()) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](const Json* a, const Json* b) {
    return stringAt(*a, "name") < stringAt(*b, "name");
  });
  for (const Json* c : sorted) {
    if (!c->has_object_field("state") || !c->at("state").has_object_field("waiting")) continue;
    const Json& waiting = c->at("state").at("waiting");
    const std::string reason = stringAt(waiting, "reason");
    if (std::find(kProblems.begin(), kProblems.end(), reason) == kProblems.end()) continue;
    return PodProblem{reason, pod, stringAt(*c, "name"), stringAt(waiting, "message")};
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
    return stringAt(a->at("metadata"), "name") < stringAt(b->at("metadata"), "name");
  });
  for (const Json* p : sorted) {
    if (!p->has_object_field("status")) continue;
    const std::string name = stringAt(p->at("metadata"), "name");
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
