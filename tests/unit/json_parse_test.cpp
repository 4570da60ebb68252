#include "core/json_parse.h"

#include <gtest/gtest.h>

namespace mlmodel::core {
namespace {

using Json = web::json::value;

// What cpprest's own parser makes of the same text.
Json cpprest(const std::string& text) { return Json::parse(text); }

TEST(JsonParse, BuildsTheValueCpprestBuilds) {
  const std::string text =
      R"({"z":1,"a":{"list":[1,-2,3.25,1e3,true,false,null,"s"],"empty":{},"none":[]},)"
      R"("m":"x\"y\\z\/\b\f\n\r\t\u00e9\ud83d\ude00","big":18446744073709551615,)"
      R"("bigger":18446744073709551616,"min":-9223372036854775808,"below":-9223372036854775809})";
  const Json ours = parseJson(text);
  EXPECT_EQ(ours, cpprest(text));
  EXPECT_EQ(ours.serialize(), cpprest(text).serialize());
  // Keys come out sorted, as cpprest sorts them, so lookups and serialization agree.
  EXPECT_EQ(ours.serialize().substr(0, 6), R"({"a":{)");
  EXPECT_TRUE(ours.at("big").as_number().is_uint64());
  EXPECT_TRUE(ours.at("min").as_number().is_int64());
  EXPECT_EQ(ours.at("min").as_number().to_int64(), INT64_MIN);
  EXPECT_TRUE(ours.at("bigger").is_double());
  EXPECT_EQ(ours.at("m").as_string(), "x\"y\\z/\b\f\n\r\t\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(parseJson("  [ 1 , 2 ]\r\n"), cpprest("[1,2]"));
  EXPECT_TRUE(parseJson("-0").as_number().is_uint64());  // as cpprest: number(int64_t{0})
  EXPECT_EQ(parseJson("-0"), cpprest("-0"));
}

TEST(JsonParse, RejectsWhatIsNotJsonAndSaysWhere) {
  for (const std::string bad :
       {"", " ", "{", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", "1e", "-", "+1",
        "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\tb\"",
        "[1] 2", "/* c */ 1", "{\"a\":1}}",
        // Found by json_parse_fuzz: cpprest reads byte 0xFF as the end of its input. And by
        // watch_stream_fuzz: cpprest keeps 1e999 as infinity, then writes it as "inf",
        // which no parser reads back.
        "\"a\xFF\"", "1e999", "-1e999",
        // And a key twice: sorted, its values fell in either order (both targets).
        "{\"b\":1,\"a\":1,\"b\":2}"}) {
    EXPECT_THROW(parseJson(bad), web::json::json_exception) << bad;
  }
  try {
    parseJson(R"({"a":[1,2,oops]})");
    FAIL() << "no exception";
  } catch (const web::json::json_exception& e) {
    EXPECT_STREQ(e.what(), "JSON: expected a value at byte 10");
  }
}

TEST(JsonParse, LimitsNesting) {
  EXPECT_NO_THROW(parseJson(std::string(127, '[') + std::string(127, ']')));
  EXPECT_THROW(parseJson(std::string(128, '[') + std::string(128, ']')), web::json::json_exception);
  // The same inside a dropped value: it is checked, not built.
  static const JsonPrune prune{"a"};
  EXPECT_THROW(parseJson("{\"a\":" + std::string(200, '[') + std::string(200, ']') + "}", &prune),
               web::json::json_exception);
}

TEST(JsonParse, PruneDropsTheNamedFieldsOnly) {
  static const JsonPrune prune{"object.metadata.managedFields", "items.*.status",
                               "object.metadata.annotations.*.x"};
  const Json v = parseJson(
      R"({"type":"MODIFIED","object":{"metadata":{"name":"m","managedFields":[{"manager":"k"}],)"
      R"("annotations":{"p":{"x":1,"y":2}}},"spec":{"managedFields":3}},)"
      R"("items":[{"status":1,"spec":2},{"spec":3}]})",
      &prune);
  EXPECT_EQ(v.serialize(),
            R"({"items":[{"spec":2},{"spec":3}],"object":{"metadata":{"annotations":{"p":{"y":2}},)"
            R"("name":"m"},"spec":{"managedFields":3}},"type":"MODIFIED"})");
  // A dropped value must still be JSON.
  EXPECT_THROW(parseJson(R"({"object":{"metadata":{"managedFields":[1,}}})", &prune),
               web::json::json_exception);
}

}  // namespace
}  // namespace mlmodel::core
