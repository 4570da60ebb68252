#include "core/clock.h"

namespace mlmodel::core {

const Clock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

}  // namespace mlmodel::core
