#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

namespace mlmodel::http {

// An I/O context and the threads that run it. The transports resolve host names here
// (each connection runs its own I/O on the caller's thread); handlers stay short.
// Never call a transport from one of these threads: it would wait for itself.
class IoRuntime {
 public:
  explicit IoRuntime(int threads);
  ~IoRuntime();
  IoRuntime(const IoRuntime&) = delete;
  IoRuntime& operator=(const IoRuntime&) = delete;

  boost::asio::io_context& context() { return ioc_; }

  // The shared instance (one thread), started on first use and stopped at exit.
  static IoRuntime& shared();

 private:
  boost::asio::io_context ioc_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

}  // namespace mlmodel::http
