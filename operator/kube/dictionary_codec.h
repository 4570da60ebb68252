#pragma once

#include <string>
#include <string_view>

namespace mlmodel::kube {

// Deflate with a preset dictionary: the cache's objects of one kind share nearly all
// their text (keys, labels, namespace, image, condition messages), so a dictionary made
// of one of them shrinks the next ones to a tenth or less, where plain deflate of a
// small object manages about half.
//   DictionaryCodec codec(firstObjectText);
//   std::string packed = codec.compress(text);   // codec.decompress(packed) == text
// Thread-safe: the zlib streams are per thread and reset for each call.
class DictionaryCodec {
 public:
  // Only the dictionary's first kMaxDictionary bytes are used.
  explicit DictionaryCodec(std::string_view dictionary);

  std::string compress(std::string_view text) const;
  // Throws std::runtime_error on data that compress() did not produce.
  std::string decompress(std::string_view packed) const;

  static constexpr size_t kMaxDictionary = 8192;

 private:
  std::string dictionary_;
};

}  // namespace mlmodel::kube
