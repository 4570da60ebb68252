#include "server/version.h"

namespace mlmodel::server {

std::string_view version() { return MLMODEL_VERSION; }

}  // namespace mlmodel::server
