#pragma once

// A transport that answers every request with one status and body: the fuzz input, as a
// server a spec names (Prometheus, MLflow) would send it.

#include <string>
#include <utility>

#include "http/transport.h"

namespace mlmodel::fuzz {

class ReplyTransport final : public http::Transport {
 public:
  ReplyTransport(int status, std::string body) : status_(status), body_(std::move(body)) {}
  core::Result<http::Response> send(const http::Request&) override {
    http::Response r;
    r.status = status_;
    r.headers["content-type"] = "application/json";
    r.body = body_;
    return r;
  }
  core::Result<http::StreamResponse> stream(const http::Request&) override {
    return core::Error{"not used"};
  }

 private:
  int status_;
  std::string body_;
};

}  // namespace mlmodel::fuzz
