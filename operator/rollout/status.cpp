#include "rollout/status.h"

#include <cstdlib>

#include "core/json_read.h"
#include "core/time_format.h"

namespace mlmodel::rollout {
namespace {

Json str(const std::string& s) { return Json::string(s); }

const Json* field(const Json& obj, const char* name) {
  if (!obj.is_object() || !obj.has_field(name)) return nullptr;
  const Json& v = obj.at(name);
  return v.is_null() ? nullptr : &v;
}

std::optional<WallTime> getTime(const Json& obj, const char* name) {
  return core::parseRfc3339(core::jsonString(obj, {name}));
}

// Milliseconds: steps and analysis intervals can be seconds apart, and a time cut to the
// second could make a round look taken after a step began when it came before.
Json timeJson(WallTime t) { return str(core::rfc3339Millis(t)); }

void putTime(Json& obj, const char* name, const std::optional<WallTime>& t) {
  if (t) obj[name] = timeJson(*t);
}

void putString(Json& obj, const char* name, const std::string& s) {
  if (!s.empty()) obj[name] = str(s);
}

Revision decodeRevision(const Json& j) {
  Revision r{core::jsonString(j, {"version"}), core::jsonString(j, {"image"}),
             core::jsonString(j, {"digest"}), core::jsonString(j, {"templateHash"})};
  if (const Json* m = field(j, "mlflow")) {
    r.mlflow = {core::jsonString(*m, {"model"}), core::jsonString(*m, {"alias"}),
                core::jsonString(*m, {"version"}), core::jsonString(*m, {"runId"}),
                core::jsonString(*m, {"source"})};
  }
  return r;
}

void encodeRevision(const Revision& r, Json& j) {
  j["version"] = str(r.version);
  j["image"] = str(r.image);
  putString(j, "digest", r.digest);
  putString(j, "templateHash", r.templateHash);
  if (!r.mlflow.empty()) {
    Json m = Json::object();
    putString(m, "model", r.mlflow.model);
    putString(m, "alias", r.mlflow.alias);
    putString(m, "version", r.mlflow.version);
    putString(m, "runId", r.mlflow.runId);
    putString(m, "source", r.mlflow.source);
    j["mlflow"] = m;
  }
}

Change decodeChange(const Json& j) {
  Change c;
  const Json* o = field(j, "change");
  if (!o) return c;
  c.by = core::jsonString(*o, {"by"});
  c.operation = core::jsonString(*o, {"operation"});
  c.gitops = core::jsonString(*o, {"gitops"});
  c.cause = core::jsonString(*o, {"cause"});
  if (const Json* f = field(*o, "fields"); f && f->is_array()) {
    for (const auto& v : f->as_array()) {
      if (v.is_string()) c.fields.push_back(v.as_string());
    }
  }
  return c;
}

void encodeChange(const Change& c, Json& j) {
  if (c.empty()) return;
  Json o = Json::object();
  putString(o, "by", c.by);
  putString(o, "operation", c.operation);
  putString(o, "gitops", c.gitops);
  if (!c.fields.empty()) {
    Json f = Json::array();
    size_t i = 0;
    for (const auto& p : c.fields) f[i++] = str(p);
    o["fields"] = f;
  }
  putString(o, "cause", c.cause);
  j["change"] = o;
}

analysis::Verdict parseVerdict(const std::string& s) {
  using analysis::Verdict;
  if (s == "Passed") return Verdict::Passed;
  if (s == "Failed") return Verdict::Failed;
  if (s == "Inconclusive") return Verdict::Inconclusive;
  return Verdict::Error;
}

std::vector<analysis::Measurement> decodeMeasurements(const Json& obj) {
  std::vector<analysis::Measurement> out;
  const Json* arr = field(obj, "lastMeasurements");
  if (!arr || !arr->is_array()) return out;
  for (const auto& m : arr->as_array()) {
    analysis::Measurement x;
    x.metric = core::jsonString(m, {"metric"});
    x.query = core::jsonString(m, {"query"});
    if (const Json* v = field(m, "value"); v && v->is_string() && !v->as_string().empty()) {
      char* end = nullptr;
      const double d = std::strtod(v->as_string().c_str(), &end);
      if (end && *end == '\0') x.value = d;
    }
    x.verdict = parseVerdict(core::jsonString(m, {"verdict"}));
    x.reason = core::jsonString(m, {"reason"});
    x.message = core::jsonString(m, {"message"});
    x.time = getTime(m, "time").value_or(WallTime{});
    out.push_back(std::move(x));
  }
  return out;
}

Json encodeMeasurements(const std::vector<analysis::Measurement>& ms) {
  Json arr = Json::array();
  size_t i = 0;
  for (const auto& m : ms) {
    Json j = Json::object();
    j["metric"] = str(m.metric);
    j["query"] = str(m.query);
    // Text, so that NaN and infinities survive JSON.
    if (m.value) j["value"] = str(analysis::formatValue(*m.value));
    j["verdict"] = str(analysis::toString(m.verdict));
    putString(j, "reason", m.reason);
    putString(j, "message", m.message);
    j["time"] = timeJson(m.time);
    arr[i++] = j;
  }
  return arr;
}

CanaryPhase parsePhase(const std::string& s) {
  if (s == "Paused") return CanaryPhase::Paused;
  if (s == "Promoting") return CanaryPhase::Promoting;
  return CanaryPhase::Progressing;
}

}  // namespace

const char* toString(CanaryPhase p) {
  switch (p) {
    case CanaryPhase::Paused:
      return "Paused";
    case CanaryPhase::Promoting:
      return "Promoting";
    case CanaryPhase::Progressing:
      break;
  }
  return "Progressing";
}

RolloutStatus decodeRolloutStatus(const Json& status) {
  RolloutStatus rs;
  if (const Json* s = field(status, "stable")) {
    rs.stable.revision = decodeRevision(*s);
    rs.stable.resolvedAt = core::jsonString(*s, {"resolvedAt"});
    rs.stable.since = getTime(*s, "since");
  }
  if (const Json* c = field(status, "canary"); c && c->is_object() && c->size() > 0) {
    CanaryStatus cs;
    cs.revision = decodeRevision(*c);
    cs.phase = parsePhase(core::jsonString(*c, {"phase"}));
    cs.step = core::jsonInt32(*c, {"step"});
    cs.weight = core::jsonInt32(*c, {"weight"});
    cs.actualWeight = core::jsonInt32(*c, {"actualWeight"});
    cs.startedAt = getTime(*c, "startedAt").value_or(WallTime{});
    cs.stepStartedAt = getTime(*c, "stepStartedAt");
    cs.nextAnalysisAt = getTime(*c, "nextAnalysisAt");
    cs.notReadySince = getTime(*c, "notReadySince");
    cs.message = core::jsonString(*c, {"message"});
    cs.change = decodeChange(*c);
    if (const Json* a = field(*c, "analysis")) {
      auto& n = cs.analysis.counts;
      n.passed = core::jsonInt32(*a, {"passed"});
      n.failed = core::jsonInt32(*a, {"failed"});
      n.inconclusive = core::jsonInt32(*a, {"inconclusive"});
      n.errors = core::jsonInt32(*a, {"errors"});
      n.consecutiveErrors = core::jsonInt32(*a, {"consecutiveErrors"});
      n.rounds = core::jsonInt32(*a, {"rounds"});
      cs.analysis.lastMeasurements = decodeMeasurements(*a);
      cs.analysis.lastVerdict = core::jsonString(*a, {"lastVerdict"});
      cs.analysis.lastRoundAt = getTime(*a, "lastRoundAt");
    }
    rs.canary = std::move(cs);
  }
  if (const Json* h = field(status, "history"); h && h->is_array()) {
    for (const auto& e : h->as_array()) {
      HistoryEntry he;
      he.revision = decodeRevision(e);
      he.outcome = core::jsonString(e, {"outcome"});
      he.startedAt = getTime(e, "startedAt").value_or(WallTime{});
      he.finishedAt = getTime(e, "finishedAt").value_or(WallTime{});
      he.reason = core::jsonString(e, {"reason"});
      he.message = core::jsonString(e, {"message"});
      he.change = decodeChange(e);
      rs.history.push_back(std::move(he));
    }
  }
  rs.lastRetry = core::jsonString(status, {"lastRetry"});
  if (const Json* m = field(status, "monitoring")) {
    rs.monitoring.lastCheckAt = getTime(*m, "lastCheckAt");
    rs.monitoring.nextCheckAt = getTime(*m, "nextCheckAt");
    rs.monitoring.consecutiveFailures = core::jsonInt32(*m, {"consecutiveFailures"});
    rs.monitoring.passed = core::jsonInt32(*m, {"passed"});
    rs.monitoring.failed = core::jsonInt32(*m, {"failed"});
    rs.monitoring.errors = core::jsonInt32(*m, {"errors"});
    rs.monitoring.lastMeasurements = decodeMeasurements(*m);
  }
  return rs;
}

void encodeRolloutStatus(const RolloutStatus& rs, Json& status) {
  if (!rs.stable.revision.image.empty()) {
    Json s = Json::object();
    encodeRevision(rs.stable.revision, s);
    putString(s, "resolvedAt", rs.stable.resolvedAt);
    putTime(s, "since", rs.stable.since);
    status["stable"] = s;
  } else if (status.has_field("stable")) {
    status.erase("stable");
  }
  if (rs.canary) {
    const auto& cs = *rs.canary;
    Json c = Json::object();
    encodeRevision(cs.revision, c);
    c["phase"] = str(toString(cs.phase));
    c["step"] = Json::number(cs.step);
    c["weight"] = Json::number(cs.weight);
    c["actualWeight"] = Json::number(cs.actualWeight);
    c["startedAt"] = timeJson(cs.startedAt);
    putTime(c, "stepStartedAt", cs.stepStartedAt);
    putTime(c, "nextAnalysisAt", cs.nextAnalysisAt);
    putTime(c, "notReadySince", cs.notReadySince);
    putString(c, "message", cs.message);
    encodeChange(cs.change, c);
    Json a = Json::object();
    const auto& n = cs.analysis.counts;
    a["rounds"] = Json::number(n.rounds);
    a["passed"] = Json::number(n.passed);
    a["failed"] = Json::number(n.failed);
    a["inconclusive"] = Json::number(n.inconclusive);
    a["errors"] = Json::number(n.errors);
    a["consecutiveErrors"] = Json::number(n.consecutiveErrors);
    putString(a, "lastVerdict", cs.analysis.lastVerdict);
    putTime(a, "lastRoundAt", cs.analysis.lastRoundAt);
    if (!cs.analysis.lastMeasurements.empty()) {
      a["lastMeasurements"] = encodeMeasurements(cs.analysis.lastMeasurements);
    }
    c["analysis"] = a;
    status["canary"] = c;
  } else if (status.has_field("canary")) {
    status.erase("canary");
  }
  if (!rs.history.empty()) {
    Json h = Json::array();
    size_t i = 0;
    for (const auto& e : rs.history) {
      Json j = Json::object();
      encodeRevision(e.revision, j);
      j["outcome"] = str(e.outcome);
      j["startedAt"] = timeJson(e.startedAt);
      j["finishedAt"] = timeJson(e.finishedAt);
      putString(j, "reason", e.reason);
      putString(j, "message", e.message);
      encodeChange(e.change, j);
      h[i++] = j;
    }
    status["history"] = h;
  }
  if (!rs.lastRetry.empty()) status["lastRetry"] = str(rs.lastRetry);
  const auto& m = rs.monitoring;
  if (m.active()) {
    Json j = Json::object();
    putTime(j, "lastCheckAt", m.lastCheckAt);
    putTime(j, "nextCheckAt", m.nextCheckAt);
    j["consecutiveFailures"] = Json::number(m.consecutiveFailures);
    j["passed"] = Json::number(m.passed);
    j["failed"] = Json::number(m.failed);
    j["errors"] = Json::number(m.errors);
    if (!m.lastMeasurements.empty()) j["lastMeasurements"] = encodeMeasurements(m.lastMeasurements);
    status["monitoring"] = j;
  } else if (status.has_field("monitoring")) {
    status.erase("monitoring");
  }
}

}  // namespace mlmodel::rollout
