#pragma once

// A scripted MetricsProvider for tests of the layers above analysis/: answers by the
// resolved query (a default answer for the rest) and records every query it was asked.
//   FakeMetricsProvider fake;
//   fake.set(R"(error_rate{version="2"})", QueryResult::ofValue(0.002));
//   fake.set("latency", core::Error{"Prometheus ... is unreachable", 0,
//                                   kReasonProviderUnavailable});

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "analysis/provider.h"

namespace mlmodel::analysis {

class FakeMetricsProvider final : public MetricsProvider {
 public:
  void set(const std::string& promql, core::Result<QueryResult> answer) {
    std::lock_guard<std::mutex> guard(mu_);
    answers_.insert_or_assign(promql, std::move(answer));
  }
  // The answer to any query without its own; initially no data.
  void setDefault(core::Result<QueryResult> answer) {
    std::lock_guard<std::mutex> guard(mu_);
    default_ = std::move(answer);
  }

  core::Result<QueryResult> query(const std::string& promql) override {
    std::lock_guard<std::mutex> guard(mu_);
    queries_.push_back(promql);
    auto it = answers_.find(promql);
    return it == answers_.end() ? default_ : it->second;
  }

  std::vector<std::string> queries() const {
    std::lock_guard<std::mutex> guard(mu_);
    return queries_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, core::Result<QueryResult>> answers_;
  core::Result<QueryResult> default_ = QueryResult::noData();
  std::vector<std::string> queries_;
};

}  // namespace mlmodel::analysis
