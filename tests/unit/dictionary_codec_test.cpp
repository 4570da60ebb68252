#include "kube/dictionary_codec.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mlmodel::kube {
namespace {

std::string deployment(const std::string& name, const std::string& uid) {
  return R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":")" + name +
         R"(","namespace":"models","uid":")" + uid +
         R"(","resourceVersion":"41398","generation":1,"labels":{"app.kubernetes.io/managed-by":"mlmodel-operator","app.kubernetes.io/name":"fraud"}},"spec":{"replicas":2,"template":{"spec":{"containers":[{"image":"registry.example/models/fraud@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","name":"server","ports":[{"containerPort":8080,"protocol":"TCP"}]}]}}},"status":{"observedGeneration":1,"conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable","message":"Deployment has minimum availability."}]}})";
}

TEST(DictionaryCodecTest, RoundTripsWhatItCompresses) {
  const DictionaryCodec codec(deployment("a", "1111"));
  for (const std::string& text : {deployment("b", "2222"), std::string(), std::string("{}"),
                                  std::string(20000, 'x'), std::string("\0binary\xff\x01", 9)}) {
    EXPECT_EQ(codec.decompress(codec.compress(text)), text);
  }
}

TEST(DictionaryCodecTest, AnObjectLikeTheDictionaryShrinksToAFractionOfItsText) {
  const DictionaryCodec codec(deployment("fraud-0", "3f1c9a4e-0000-4000-8000-000000000000"));
  const std::string text = deployment("fraud-1", "77d0b2a1-1111-4111-8111-111111111111");
  const auto packed = codec.compress(text);
  EXPECT_LT(packed.size() * 5, text.size()) << packed.size() << " of " << text.size();
  // Without a dictionary, small JSON deflates to about half.
  const DictionaryCodec plain("");
  EXPECT_GT(plain.compress(text).size() * 3, text.size());
}

TEST(DictionaryCodecTest, TruncatedOrEmptyDataIsRefused) {
  const DictionaryCodec codec(deployment("a", "1"));
  auto packed = codec.compress(deployment("b", "2"));
  packed.resize(packed.size() / 2);
  EXPECT_THROW((void)codec.decompress(packed), std::runtime_error);
  EXPECT_THROW((void)codec.decompress(""), std::runtime_error);
}

// Found by tests/fuzz/dictionary_codec_fuzz: a length prefix of ~150 TB in 10 bytes made
// decompress allocate it before inflating anything.
TEST(DictionaryCodecTest, ALengthLargerThanTheDataCanInflateToIsRefused) {
  const DictionaryCodec codec(R"({"aJ)");
  const std::string packed("\xf6\xff\xff\xff\xff\xff!:4}", 10);
  EXPECT_THROW((void)codec.decompress(packed), std::runtime_error);
  // The bound is what deflate can reach (1032:1): long runs still inflate.
  const std::string run(1 << 20, 'x');
  EXPECT_EQ(codec.decompress(codec.compress(run)), run);
}

TEST(DictionaryCodecTest, CodecsWithDifferentDictionariesShareThreadsSafely) {
  const DictionaryCodec a(deployment("a", "1")), b(R"({"kind":"Service"})");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const std::string text = deployment("m-" + std::to_string(t), std::to_string(i));
        const auto& codec = (i % 2 == 0) ? a : b;
        if (codec.decompress(codec.compress(text)) != text) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace mlmodel::kube
