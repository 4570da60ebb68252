// The KServe V2 bodies and the routing, without sockets.
#include "kserve.h"

#include <gtest/gtest.h>

#include <random>

#include "server.h"

namespace iris {
namespace {

namespace http = boost::beast::http;

TEST(ParseInferRequest, FlatAndNestedData) {
  std::string err;
  auto flat = kserve::parseInferRequest(
      R"({"id":"a","inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32",
          "data":[5.1,3.5,1.4,0.2,6.7,3.0,5.2,2.3]}]})",
      err);
  ASSERT_TRUE(flat) << err;
  EXPECT_EQ(flat->id, "a");
  ASSERT_EQ(flat->rows.size(), 2U);
  EXPECT_DOUBLE_EQ(flat->rows[1][3], 2.3);
  auto nested = kserve::parseInferRequest(
      R"({"inputs":[{"name":"x","shape":[1,4],"datatype":"FP64","data":[[5.1,3.5,1.4,0.2]]}]})",
      err);
  ASSERT_TRUE(nested) << err;
  EXPECT_DOUBLE_EQ(nested->rows[0][0], 5.1);
}

TEST(ParseInferRequest, RefusesWhatIsNotAnIrisBatch) {
  const char* bad[] = {
      "",
      "{",
      "[]",
      R"({"inputs":[]})",
      R"({"inputs":[{"shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}],"id":5})",
      R"({"inputs":[{"shape":[1,4],"datatype":"BYTES","data":[1,2,3,4]}]})",
      R"({"inputs":[{"shape":[1,3],"datatype":"FP32","data":[1,2,3]}]})",
      R"({"inputs":[{"shape":[2,4],"datatype":"FP32","data":[1,2,3,4]}]})",
      R"({"inputs":[{"shape":[1,4],"datatype":"FP32","data":[1,2,3,4,5]}]})",
      R"({"inputs":[{"shape":[1,4],"datatype":"FP32","data":[1,2,"3",4]}]})",
      R"({"inputs":[{"shape":[1,4],"datatype":"FP32","data":[[[1,2,3,4]]]}]})",
      R"({"inputs":[{"shape":[0,4],"datatype":"FP32","data":[]}]})",
      R"({"inputs":[{"shape":[1000,4],"datatype":"FP32","data":[]}]})",
      R"({"inputs":[{"shape":[1,4],"datatype":"FP32"}]})",
  };
  for (const char* b : bad) {
    std::string err;
    EXPECT_FALSE(kserve::parseInferRequest(b, err)) << b;
    EXPECT_FALSE(err.empty()) << b;
  }
}

TEST(ParseInferRequest, SurvivesMangledBodies) {
  // A small fuzz pass: byte flips, truncations and insertions of a valid body never throw.
  const std::string valid =
      R"({"id":"a","inputs":[{"name":"input-0","shape":[2,4],"datatype":"FP32",)"
      R"("data":[[5.1,3.5,1.4,0.2],[6.7,3.0,5.2,2.3]]}]})";
  const std::string alphabet = "{}[]\",:0123456789.-eE \\untrfalse";
  std::mt19937 rng(1234);
  int accepted = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string b = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      const std::size_t at = rng() % b.size();
      switch (rng() % 3) {
        case 0:
          b[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          b.erase(at, 1 + rng() % 8);
          break;
        default:
          b.insert(at, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    std::string err;
    std::optional<kserve::InferRequest> r;
    ASSERT_NO_THROW(r = kserve::parseInferRequest(b, err)) << b;
    if (r) {
      ++accepted;
      EXPECT_FALSE(r->rows.empty());
    } else {
      EXPECT_FALSE(err.empty());
    }
  }
  EXPECT_GT(accepted, 0);
}

class HandlerTest : public ::testing::Test {
 protected:
  HandlerTest()
      : file_(ModelFile::load(IRIS_MODEL_JSON)),
        model_(makeServedModel(profileConfig("v1"), file_)),
        metrics_({"ns1", "iris", "1.0.0"}, "v1", model_->algorithm(), file_.classes),
        handler_({"ns1", "iris", "1.0.0"}, *model_, metrics_) {}
  ModelFile file_;
  std::unique_ptr<ServedModel> model_;
  Metrics metrics_;
  Handler handler_;
};

TEST_F(HandlerTest, Routes) {
  EXPECT_EQ(handler_.handle(http::verb::get, "/v2/health/live", "").status, http::status::ok);
  EXPECT_EQ(handler_.handle(http::verb::get, "/v2/health/ready", "").status, http::status::ok);
  EXPECT_EQ(handler_.handle(http::verb::get, "/v2/models/iris", "").status, http::status::ok);
  EXPECT_EQ(handler_.handle(http::verb::get, "/v2/models/iris/versions/1.0.0", "").status,
            http::status::ok);
  EXPECT_EQ(handler_.handle(http::verb::get, "/v2/models/iris/versions/2/ready", "").status,
            http::status::not_found);
  EXPECT_EQ(handler_.handle(http::verb::get, "/v2/models/other", "").status,
            http::status::not_found);
  EXPECT_EQ(handler_.handle(http::verb::get, "/v2/models/iris/infer", "").status,
            http::status::method_not_allowed);
  EXPECT_EQ(handler_.handle(http::verb::get, "/nope", "").status, http::status::not_found);
  EXPECT_TRUE(handler_.isInference("/v2/models/x/infer?a=b"));
  EXPECT_FALSE(handler_.isInference("/v2/models/x"));
}

TEST_F(HandlerTest, InferAnswersAndRecords) {
  const Reply r = handler_.handle(
      http::verb::post, "/v2/models/iris/infer",
      R"({"id":"q","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]})");
  EXPECT_EQ(r.status, http::status::ok) << r.body;
  EXPECT_TRUE(r.inference);
  ASSERT_EQ(r.predictions.size(), 1U);
  EXPECT_EQ(r.predictions[0].cls, 0);
  EXPECT_NE(r.body.find(R"("model_version":"1.0.0")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("id":"q")"), std::string::npos) << r.body;
  handler_.record(r, 0.002);
  const std::string m = metrics_.exposition();
  EXPECT_NE(
      m.find(R"(model_requests_total{code="200",model="iris",namespace="ns1",version="1.0.0"} 1)"),
      std::string::npos)
      << m;
  EXPECT_NE(
      m.find(
          R"(model_predictions_total{class="setosa",model="iris",namespace="ns1",version="1.0.0"} 1)"),
      std::string::npos)
      << m;
  EXPECT_NE(
      m.find(
          R"(model_predictions_total{class="virginica",model="iris",namespace="ns1",version="1.0.0"} 0)"),
      std::string::npos)
      << m;
  EXPECT_NE(m.find("model_prediction_confidence_bucket"), std::string::npos);
  EXPECT_NE(
      m.find(
          R"(model_info{algorithm="logistic_regression",model="iris",namespace="ns1",profile="v1",version="1.0.0"} 1)"),
      std::string::npos)
      << m;
}

}  // namespace
}  // namespace iris
