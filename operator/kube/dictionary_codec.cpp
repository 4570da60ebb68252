#include "kube/dictionary_codec.h"

#include <zlib.h>

#include <limits>
#include <stdexcept>

namespace mlmodel::kube {
namespace {

// Raw deflate (no header: the dictionary is implied) with a 16 KiB window, room for the
// 8 KiB dictionary and an object of several KiB, and a small hash table (memLevel 4):
// resetting the stream clears the table, and objects are small. The streams live as long
// as their thread (~100 KiB for one that compresses, ~20 KiB for one that only reads).
constexpr int kWindowBits = -14;
constexpr int kMemLevel = 4;

struct Streams {
  z_stream deflater{};
  z_stream inflater{};
  bool deflateReady = false;
  bool inflateReady = false;
  ~Streams() {
    if (deflateReady) deflateEnd(&deflater);
    if (inflateReady) inflateEnd(&inflater);
  }
};

Streams& streams() {
  thread_local Streams s;
  return s;
}

Bytef* bytes(std::string_view s) {
  // zlib's API is not const-correct; it never writes through next_in or the dictionary.
  return reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
}

// The text's length goes first, as a varint, so decompress allocates exactly once.
void putLength(std::string& out, size_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

size_t getLength(std::string_view& in) {
  size_t n = 0;
  for (int shift = 0; !in.empty() && shift < 64; shift += 7) {
    const auto b = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    n |= static_cast<size_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return n;
  }
  throw std::runtime_error("dictionary codec: truncated length");
}

}  // namespace

DictionaryCodec::DictionaryCodec(std::string_view dictionary)
    : dictionary_(dictionary.substr(0, kMaxDictionary)) {}

std::string DictionaryCodec::compress(std::string_view text) const {
  auto& s = streams();
  z_stream& z = s.deflater;
  if (!s.deflateReady) {
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) !=
        Z_OK)
      throw std::runtime_error("dictionary codec: deflateInit2 failed");
    s.deflateReady = true;
  } else {
    deflateReset(&z);
  }
  if (!dictionary_.empty() &&
      deflateSetDictionary(&z, bytes(dictionary_), static_cast<uInt>(dictionary_.size())) != Z_OK)
    throw std::runtime_error("dictionary codec: deflateSetDictionary failed");
  std::string out;
  putLength(out, text.size());
  const size_t head = out.size();
  out.resize(head + deflateBound(&z, static_cast<uLong>(text.size())));
  z.next_in = bytes(text);
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data() + head);
  z.avail_out = static_cast<uInt>(out.size() - head);
  if (deflate(&z, Z_FINISH) != Z_STREAM_END)
    throw std::runtime_error("dictionary codec: deflate did not finish");
  out.resize(out.size() - z.avail_out);
  out.shrink_to_fit();
  return out;
}

std::string DictionaryCodec::decompress(std::string_view packed) const {
  const size_t n = getLength(packed);
  // The length comes from the data: a corrupt one must not allocate terabytes. Deflate
  // inflates at most 1032 times (258 bytes from a 2-bit code), dictionary or not.
  constexpr size_t kMaxInflateRatio = 1032;
  if (n > packed.size() * kMaxInflateRatio || n > std::numeric_limits<uInt>::max())
    throw std::runtime_error("dictionary codec: corrupt length");
  auto& s = streams();
  z_stream& z = s.inflater;
  if (!s.inflateReady) {
    if (inflateInit2(&z, kWindowBits) != Z_OK)
      throw std::runtime_error("dictionary codec: inflateInit2 failed");
    s.inflateReady = true;
  } else {
    inflateReset(&z);
  }
  if (!dictionary_.empty() &&
      inflateSetDictionary(&z, bytes(dictionary_), static_cast<uInt>(dictionary_.size())) != Z_OK)
    throw std::runtime_error("dictionary codec: inflateSetDictionary failed");
  std::string out(n, '\0');
  z.next_in = bytes(packed);
  z.avail_in = static_cast<uInt>(packed.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(n);
  if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.avail_out != 0)
    throw std::runtime_error("dictionary codec: corrupt data");
  return out;
}

}  // namespace mlmodel::kube
