#include "plugin/model_view.h"

#include <sstream>

#include "core/json_read.h"

namespace mlmodel::plugin {
namespace {

// A field, absent when null (a field written as null reads as not set).
const Json* at(const Json& v, std::initializer_list<const char*> path) {
  const Json* j = core::jsonFind(v, path);
  return j && !j->is_null() ? j : nullptr;
}

// A field as text for a table cell: numbers and booleans written out.
std::string str(const Json& v, std::initializer_list<const char*> path) {
  const Json* j = at(v, path);
  if (!j) return "";
  if (j->is_string()) return j->as_string();
  if (const auto n = core::jsonInteger(*j)) return std::to_string(*n);
  if (j->is_boolean()) return j->as_bool() ? "true" : "false";
  return "";
}

std::string shortDigest(const std::string& d) { return d.size() > 19 ? d.substr(0, 19) : d; }

const Json* condition(const Json& model, const std::string& type) {
  const Json* conds = at(model, {"status", "conditions"});
  if (!conds || !conds->is_array()) return nullptr;
  for (const auto& c : conds->as_array()) {
    if (str(c, {"type"}) == type) return &c;
  }
  return nullptr;
}

bool isTrue(const Json& model, const std::string& type) {
  const Json* c = condition(model, type);
  return c && str(*c, {"status"}) == "True";
}

std::string pad(std::string s, size_t n) {
  // A value wider than its column still keeps one space before the next.
  s.append(s.size() < n ? n - s.size() : 1, ' ');
  return s;
}

}  // namespace

std::string canaryVersion(const Json& model) { return str(model, {"status", "canary", "version"}); }

std::string describeStatus(const Json& m) {
  std::ostringstream out;
  out << str(m, {"metadata", "name"}) << " (namespace " << str(m, {"metadata", "namespace"})
      << "): " << (str(m, {"status", "phase"}).empty() ? "Pending" : str(m, {"status", "phase"}))
      << "\n";
  out << "  spec:    " << str(m, {"spec", "image"}) << "\n";
  if (at(m, {"status", "stable"})) {
    out << "  stable:  " << str(m, {"status", "stable", "version"}) << "  "
        << shortDigest(str(m, {"status", "stable", "digest"})) << "  since "
        << str(m, {"status", "stable", "since"}) << "\n";
  }
  if (const Json* c = at(m, {"status", "canary"})) {
    out << "  canary:  " << str(*c, {"version"}) << "  " << shortDigest(str(*c, {"digest"})) << "  "
        << str(*c, {"phase"}) << ", step " << core::jsonInt(*c, {"step"}) + 1 << ", weight "
        << core::jsonInt(*c, {"weight"}) << "% (actual " << core::jsonInt(*c, {"actualWeight"})
        << "%)\n";
    if (const Json* a = at(*c, {"analysis"})) {
      out << "  analysis: " << core::jsonInt(*a, {"passed"}) << " passed, "
          << core::jsonInt(*a, {"failed"}) << " failed, " << core::jsonInt(*a, {"inconclusive"})
          << " inconclusive, " << core::jsonInt(*a, {"errors"}) << " errors\n";
      if (const Json* ms = at(*a, {"lastMeasurements"}); ms && ms->is_array() && ms->size() > 0) {
        const Json& last = ms->at(ms->size() - 1);
        out << "  last:    " << str(last, {"metric"}) << " = "
            << (str(last, {"value"}).empty() ? "(none)" : str(last, {"value"})) << "  "
            << str(last, {"verdict"}) << "  at " << str(last, {"time"}) << "\n";
      }
    }
    if (!str(*c, {"message"}).empty()) out << "  where:   " << str(*c, {"message"}) << "\n";
  }
  if (const Json* ml = at(m, {"status", "mlflow"})) {
    out << "  mlflow:  " << str(*ml, {"model"}) << " "
        << (str(*ml, {"alias"}).empty() ? "" : "alias " + str(*ml, {"alias"}) + " -> ")
        << "version " << str(*ml, {"version"})
        << (str(*ml, {"runId"}).empty() ? "" : ", run " + str(*ml, {"runId"})) << "\n";
  }
  for (const char* type :
       {"Ready", "Reconciling", "Stalled", "Degraded", "ImageResolved", "VersionResolved"}) {
    const Json* c = condition(m, type);
    if (!c) continue;
    out << "  " << pad(std::string(type) + "=" + str(*c, {"status"}), 20) << " "
        << str(*c, {"reason"}) << ": " << str(*c, {"message"}) << "\n";
  }
  return out.str();
}

// The spec fields a rollout changed, for one table cell.
std::string changedCell(const Json& e) {
  const Json* f = at(e, {"change", "fields"});
  if (!f || !f->is_array() || f->size() == 0) return "-";
  std::string out;
  for (const auto& p : f->as_array()) {
    if (!p.is_string()) continue;
    std::string s = p.as_string();
    if (s.rfind("spec.", 0) == 0) s = s.substr(5);
    out += (out.empty() ? "" : ",") + s;
  }
  return out.size() > 40 ? out.substr(0, 39) + "~" : out;
}

std::string historyTable(const Json& m) {
  std::ostringstream out;
  out << pad("REVISION", 10) << pad("VERSION", 12) << pad("DIGEST", 21) << pad("OUTCOME", 12)
      << pad("FINISHED", 26) << pad("REASON", 18) << pad("BY", 28) << pad("CHANGED", 42)
      << "CAUSE\n";
  const Json* h = at(m, {"status", "history"});
  if (!h || !h->is_array()) return out.str();
  int i = 0;
  for (const auto& e : h->as_array()) {
    std::string by = str(e, {"change", "by"});
    if (!str(e, {"change", "gitops"}).empty()) {
      by += (by.empty() ? "" : " ") + std::string("(") + str(e, {"change", "gitops"}) + ")";
    }
    out << pad(std::to_string(++i), 10) << pad(str(e, {"version"}), 12)
        << pad(shortDigest(str(e, {"digest"})), 21) << pad(str(e, {"outcome"}), 12)
        << pad(str(e, {"finishedAt"}), 26) << pad(str(e, {"reason"}), 18)
        << pad(by.empty() ? "-" : by, 28) << pad(changedCell(e), 42)
        << (str(e, {"change", "cause"}).empty() ? "-" : str(e, {"change", "cause"})) << "\n";
  }
  return out.str();
}

WaitVerdict judgeWait(const Json& m) {
  const int64_t generation = core::jsonInt(m, {"metadata", "generation"});
  const int64_t observed = core::jsonInt(m, {"status", "observedGeneration"});
  if (observed < generation)
    return {WaitState::Pending, "waiting for the operator to see the spec"};
  if (isTrue(m, "Stalled")) {
    const Json* s = condition(m, "Stalled");
    return {WaitState::Failed, str(*s, {"reason"}) + ": " + str(*s, {"message"})};
  }
  const std::string stable = str(m, {"status", "stable", "version"});
  if (isTrue(m, "Ready") && !at(m, {"status", "canary"}) &&
      str(m, {"status", "stable", "image"}) == str(m, {"spec", "image"})) {
    return {WaitState::Done, "version " + stable + " is promoted and Ready"};
  }
  const Json* r = condition(m, "Reconciling");
  std::string why = r ? str(*r, {"reason"}) + ": " + str(*r, {"message"}) : "rolling out";
  return {WaitState::Pending, why};
}

}  // namespace mlmodel::plugin
