#pragma once

#include <sys/mman.h>

#include <memory_resource>
#include <new>

namespace mlmodel::kube {

// Memory straight from the kernel in whole pages, for the chunks of the cache's pool.
// Chunks taken from malloc would sit among the short-lived buffers of decoding LISTs
// and pin those arenas' pages after the buffers are freed; pages of our own go back to
// the kernel as soon as the pool releases them.
class PageResource final : public std::pmr::memory_resource {
 private:
  static size_t roundUp(size_t bytes) {
    constexpr size_t kPage = 4096;
    return (bytes + kPage - 1) / kPage * kPage;
  }
  void* do_allocate(size_t bytes, size_t) override {
    void* p =
        mmap(nullptr, roundUp(bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
  }
  void do_deallocate(void* p, size_t bytes, size_t) override { munmap(p, roundUp(bytes)); }
  bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
    return this == &other;
  }
};

}  // namespace mlmodel::kube
