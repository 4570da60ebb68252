#include "http/io_runtime.h"

namespace mlmodel::http {

IoRuntime::IoRuntime(int threads) : ioc_(threads), work_(boost::asio::make_work_guard(ioc_)) {
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

IoRuntime::~IoRuntime() {
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
}

IoRuntime& IoRuntime::shared() {
  static IoRuntime runtime(1);
  return runtime;
}

}  // namespace mlmodel::http
