// Leases are read from the API server, written by every candidate (other versions,
// client-go's). Their times are RFC 3339 MicroTime.
#include "core/time_format.h"
#include "fuzz_input.h"
#include "kube/leader_election.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace mlmodel;
  if (auto t = core::parseRfc3339(fuzz::text(data, size))) {
    // What rfc3339() writes parses back to the same whole second.
    auto again = core::parseRfc3339(core::rfc3339(*t));
    fuzz::check(again.has_value(), "rfc3339() output does not parse");
  }
  auto lease = fuzz::json(data, size);
  if (!lease) return 0;
  // Written times keep microseconds only, so the record read back from what was written
  // is the one compared: writing it again must change nothing.
  const auto rewrite = [](const kube::LeaseRecord& record) {
    web::json::value lease = web::json::value::object();
    lease["spec"] = kube::leaseSpecJson(record);
    return kube::leaseRecordFromJson(lease);
  };
  const auto written = rewrite(kube::leaseRecordFromJson(*lease));
  fuzz::check(rewrite(written) == written, "lease record does not round-trip");
  return 0;
}
