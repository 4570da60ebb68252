#include "controller/prometheus_source.h"

#include <gtest/gtest.h>

#include "fake_transport.h"

namespace mlmodel {
namespace {

using testutil::FakeTransport;

// The Prometheus servers the source builds providers for: each query answered with one value.
class PrometheusSourceTest : public ::testing::Test {
 protected:
  PrometheusSourceTest() {
    auto t = std::make_unique<FakeTransport>();
    api_ = t.get();
    kube::ClientOptions o;
    o.sleep = [](core::Duration) {};
    o.maxAttempts = 1;
    client_ = std::make_unique<kube::Client>(std::move(t), nullptr, o);
    source_ = std::make_unique<controller::PrometheusSource>(
        *client_, clock_, [this](const std::string& base, const http::TlsOptions&) {
          auto t = std::make_unique<FakeTransport>();
          t->respond(200,
                     R"({"status":"success","data":{"resultType":"scalar","result":[1,"0.5"]}})");
          prometheus_[base] = t.get();
          return t;
        });
  }

  api::PrometheusRef ref(const std::string& address, const std::string& auth = "") {
    api::PrometheusRef r;
    r.address = address;
    r.authSecret = auth;
    return r;
  }

  FakeTransport* api_ = nullptr;
  std::unique_ptr<kube::Client> client_;
  core::FakeClock clock_;
  std::map<std::string, FakeTransport*> prometheus_;
  std::unique_ptr<controller::PrometheusSource> source_;
};

TEST_F(PrometheusSourceTest, ATokenGoesOnlyToAnHttpsAddressAndIsNeverReadForPlainHttp) {
  auto plain = source_->provider("ml", ref("http://prometheus:9090", "prom-token"));
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().reason, "Unauthorized");
  EXPECT_NE(plain.error().message.find("credentials are only sent over https"), std::string::npos)
      << plain.error().message;
  EXPECT_EQ(api_->requestCount(), 0u);  // the Secret was not even read

  api_->respond(200, R"({"data":{"token":"c2VjcmV0"}})");  // "secret"
  auto tls = source_->provider("ml", ref("https://prometheus:9090", "prom-token"));
  ASSERT_TRUE(tls) << tls.error().message;
  ASSERT_TRUE(tls.value()->query("up"));
  const auto sent = prometheus_.at("https://prometheus:9090")->requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].headers.at("Authorization"), "Bearer secret");
}

// Addresses are chosen by tenants: what the source holds stays bounded, and old entries go.
TEST_F(PrometheusSourceTest, ProvidersForManyAddressesAreBounded) {
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(source_->provider("ml", ref("http://prom-" + std::to_string(i) + ":9090")));
    clock_.advance(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(source_->cached(), 256u);
  clock_.advance(std::chrono::minutes(1));
  ASSERT_TRUE(source_->provider("ml", ref("http://prom-0:9090")));
  EXPECT_EQ(source_->cached(), 1u);
}

}  // namespace
}  // namespace mlmodel
