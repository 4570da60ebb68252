#pragma once

// A scripted http::Transport for unit tests: answers requests from a queue of responses
// (or errors) in order and records every request it saw.
//   auto transport = std::make_unique<FakeTransport>();
//   FakeTransport& fake = *transport;
//   fake.respond(201, R"({"metadata":{"name":"x"}})");
//   Client client(std::move(transport), nullptr);
//   ... client.create(...) ...
//   EXPECT_EQ(fake.requests().at(0).method, "POST");

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http/transport.h"

namespace mlmodel::testutil {

class FakeLineStream final : public http::LineStream {
 public:
  explicit FakeLineStream(std::vector<std::string> lines) : lines_(lines.begin(), lines.end()) {}
  core::Result<std::optional<std::string>> readLine() override {
    std::lock_guard<std::mutex> guard(mu_);
    if (cancelled_ || lines_.empty()) return std::optional<std::string>();
    auto line = std::move(lines_.front());
    lines_.pop_front();
    return std::optional<std::string>(std::move(line));
  }
  void cancel() override {
    std::lock_guard<std::mutex> guard(mu_);
    cancelled_ = true;
  }

 private:
  std::mutex mu_;
  std::deque<std::string> lines_;
  bool cancelled_ = false;
};

class FakeTransport final : public http::Transport {
 public:
  // What send() answers next: a response, or a transport failure (an Error, code 0).
  void respond(int status, std::string body = "{}",
               std::map<std::string, std::string> headers = {}) {
    http::Response r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    if (!r.headers.count("content-type")) r.headers["content-type"] = "application/json";
    push(std::move(r));
  }
  void fail(std::string message) { push(core::Error{std::move(message)}); }
  // What stream() answers next: a 2xx with these lines, or a non-2xx with errorBody.
  void respondStream(int status, std::vector<std::string> lines, std::string errorBody = {}) {
    std::lock_guard<std::mutex> guard(mu_);
    streams_.push_back({status, std::move(lines), std::move(errorBody)});
  }

  core::Result<http::Response> send(const http::Request& request) override {
    std::lock_guard<std::mutex> guard(mu_);
    requests_.push_back(request);
    if (script_.empty()) {
      return core::Error{"fake transport: no scripted response for " + request.method + " " +
                         request.target};
    }
    auto next = std::move(script_.front());
    script_.pop_front();
    return next;
  }

  core::Result<http::StreamResponse> stream(const http::Request& request) override {
    std::lock_guard<std::mutex> guard(mu_);
    requests_.push_back(request);
    if (streams_.empty()) {
      return core::Error{"fake transport: no scripted stream for " + request.target};
    }
    auto next = std::move(streams_.front());
    streams_.pop_front();
    http::StreamResponse r;
    r.status = next.status;
    if (next.status / 100 == 2) {
      r.lines = std::make_unique<FakeLineStream>(std::move(next.lines));
    } else {
      r.errorBody = std::move(next.errorBody);
    }
    return r;
  }

  // Every request so far, in order (a copy: the sender may still be adding).
  std::vector<http::Request> requests() const {
    std::lock_guard<std::mutex> guard(mu_);
    return requests_;
  }
  std::size_t requestCount() const {
    std::lock_guard<std::mutex> guard(mu_);
    return requests_.size();
  }
  // Scripted responses not consumed yet.
  std::size_t pending() const {
    std::lock_guard<std::mutex> guard(mu_);
    return script_.size() + streams_.size();
  }

 private:
  struct ScriptedStream {
    int status = 200;
    std::vector<std::string> lines;
    std::string errorBody;
  };

  void push(core::Result<http::Response> r) {
    std::lock_guard<std::mutex> guard(mu_);
    script_.push_back(std::move(r));
  }

  mutable std::mutex mu_;
  std::deque<core::Result<http::Response>> script_;
  std::deque<ScriptedStream> streams_;
  std::vector<http::Request> requests_;
};

}  // namespace mlmodel::testutil
