// The MIME parser: header fields and unfolding, structured values and RFC 2231, multipart
// offsets (the CRLF before a delimiter belongs to it), message/rfc822, malformed input,
// limits, and a size that would expose quadratic behaviour.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "sim/mime.hpp"
#include "tests/sim/mime_samples.hpp"

namespace mailflow::sim::mime {
namespace {

std::string_view slice(std::string_view text, std::size_t begin, std::size_t end) { return text.substr(begin, end - begin); }

TEST(MimeHeader, UnfoldsAndKeepsRawOffsets) {
  std::string text = "Subject: a\r\n  folded\r\n\tline\r\nX-Empty:\r\nFROM : x@y\r\n\r\nbody";
  auto header = parse_header_section(text, 0, text.size(), 100);
  ASSERT_EQ(header.fields.size(), 3u);
  EXPECT_EQ(header.fields[0].name, "Subject");
  EXPECT_EQ(header.fields[0].value, "a  folded\tline");
  EXPECT_EQ(slice(text, header.fields[0].begin, header.fields[0].end), "Subject: a\r\n  folded\r\n\tline\r\n");
  EXPECT_EQ(header.fields[1].value, "");
  EXPECT_EQ(header.fields[2].name, "FROM");
  EXPECT_EQ(find_field(header.fields, "from"), &header.fields[2]);
  EXPECT_EQ(text.substr(header.end), "body");
}

TEST(MimeHeader, AcceptsBareLfAndEndsAtANonFieldLine) {
  std::string text = "A: 1\nB: 2\n\nbody\n";
  auto header = parse_header_section(text, 0, text.size(), 100);
  ASSERT_EQ(header.fields.size(), 2u);
  EXPECT_EQ(text.substr(header.end), "body\n");
  std::string broken = "A: 1\r\nthis is not a field\r\nB: 2\r\n";
  header = parse_header_section(broken, 0, broken.size(), 100);
  ASSERT_EQ(header.fields.size(), 1u);
  EXPECT_EQ(broken.substr(header.end), "this is not a field\r\nB: 2\r\n");
}

TEST(MimeHeader, KeepsAtMostTheFieldLimit) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "X-" + std::to_string(i) + ": v\r\n";
  text += "\r\nbody";
  auto header = parse_header_section(text, 0, text.size(), 10);
  EXPECT_EQ(header.fields.size(), 10u);
  EXPECT_TRUE(header.truncated);
  EXPECT_EQ(text.substr(header.end), "body");
}

TEST(MimeStructuredValue, ParsesQuotedValuesCommentsAndBrokenParameters) {
  auto v = parse_structured_value("Text/Plain (comment; x=y) ; charset = \"utf-8\" ; name=\"a \\\"b\\\";c\"; broken; format=flowed");
  EXPECT_EQ(v.token, "text/plain");
  ASSERT_EQ(v.parameters.size(), 3u);
  EXPECT_EQ(v.parameters[0].name, "charset");
  EXPECT_EQ(v.parameters[0].value, "utf-8");
  EXPECT_EQ(v.parameters[1].value, "a \"b\";c");
  EXPECT_EQ(v.parameters[2].name, "format");
  EXPECT_EQ(v.parameters[2].value, "flowed");
}

TEST(MimeStructuredValue, JoinsRfc2231Continuations) {
  auto v = parse_structured_value(
      "attachment; filename*0*=UTF-8''%E6%97%A5; filename*1=\"本.txt\"; title*=us-ascii'en'a%20b; plain=x");
  EXPECT_EQ(v.parameters.size(), 4u);
  EXPECT_EQ(v.parameters[0].name, "filename*0*");  // kept raw for BODYSTRUCTURE
  EXPECT_EQ(find_parameter(v.parameters, "filename"), "日本.txt");
  EXPECT_EQ(find_parameter(v.parameters, "title"), "a b");
  EXPECT_EQ(find_parameter(v.parameters, "plain"), "x");
  EXPECT_EQ(find_parameter(v.parameters, "missing"), std::nullopt);
}

TEST(MimeStructuredValue, SplitsLanguagesAndStripsComments) {
  EXPECT_EQ(split_list("en (English), ja"), (std::vector<std::string>{"en", "ja"}));
  EXPECT_EQ(strip_comments(" base64 (yes) "), "base64");
}

TEST(MimeParser, SinglePartMessageDefaults) {
  std::string text = "Subject: hi\r\n\r\nline 1\r\nline 2";
  auto part = parse_message(text);
  EXPECT_EQ(part.type, "text");
  EXPECT_EQ(part.subtype, "plain");
  EXPECT_FALSE(part.has_content_type);
  EXPECT_EQ(slice(text, part.header_begin, part.header_end), "Subject: hi\r\n\r\n");
  EXPECT_EQ(slice(text, part.body_begin, part.body_end), "line 1\r\nline 2");
  EXPECT_EQ(part.lines, 2u);
  EXPECT_TRUE(part.children.empty());
}

using mailflow::testing::kNestedMessage;

TEST(MimeParser, NestedMultipartOffsetsAndFields) {
  auto m = parse_message(kNestedMessage);
  ASSERT_TRUE(m.is_multipart());
  EXPECT_EQ(m.boundary, "outer");
  ASSERT_EQ(m.children.size(), 3u);
  const auto& text = m.children[0];
  EXPECT_EQ(slice(kNestedMessage, text.header_begin, text.header_end),
            "Content-Type: text/plain; charset=utf-8\r\nContent-ID: <c1@alpha.test>\r\nContent-Language: en, ja\r\n\r\n");
  EXPECT_EQ(slice(kNestedMessage, text.body_begin, text.body_end), "hello");  // the CRLF is the delimiter's
  EXPECT_EQ(text.lines, 1u);
  EXPECT_EQ(text.id, "<c1@alpha.test>");
  EXPECT_EQ(text.languages, (std::vector<std::string>{"en", "ja"}));
  const auto& pdf = m.children[1];  // its delimiter line had transport padding
  EXPECT_EQ(pdf.type, "application");
  EXPECT_EQ(pdf.subtype, "pdf");
  EXPECT_EQ(pdf.encoding, "base64");
  EXPECT_EQ(pdf.disposition, "attachment");
  EXPECT_EQ(find_parameter(pdf.disposition_parameters, "filename"), "a.pdf");
  EXPECT_EQ(pdf.md5, "Q2hlY2sgSW50ZWdyaXR5IQ==");
  EXPECT_EQ(pdf.location, "http://alpha.test/a.pdf");
  EXPECT_EQ(pdf.description, "the report");
  EXPECT_EQ(slice(kNestedMessage, pdf.body_begin, pdf.body_end), "JVBERi0=");
  const auto& rfc822 = m.children[2];
  ASSERT_TRUE(rfc822.is_message());
  ASSERT_EQ(rfc822.children.size(), 1u);
  const auto& inner = rfc822.children[0];
  EXPECT_EQ(inner.header_begin, rfc822.body_begin);
  EXPECT_EQ(inner.body_end, rfc822.body_end);
  EXPECT_TRUE(slice(kNestedMessage, rfc822.body_begin, rfc822.body_end).ends_with("<p>html</p>\r\n--inner--"));
  ASSERT_EQ(inner.children.size(), 2u);
  EXPECT_EQ(inner.children[0].type, "text");  // no Content-Type: the default
  EXPECT_EQ(slice(kNestedMessage, inner.children[0].body_begin, inner.children[0].body_end), "plain");
  EXPECT_EQ(inner.children[1].subtype, "html");
  EXPECT_EQ(slice(kNestedMessage, inner.children[1].body_begin, inner.children[1].body_end), "<p>html</p>");
}

TEST(MimeParser, MissingCloseDelimiterEndsAtTheEnclosingBody) {
  std::string text = "Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n";
  auto m = parse_message(text);
  ASSERT_EQ(m.children.size(), 2u);
  EXPECT_EQ(slice(text, m.children[0].body_begin, m.children[0].body_end), "one");
  EXPECT_EQ(slice(text, m.children[1].body_begin, m.children[1].body_end), "two\n");
}

TEST(MimeParser, MultipartWithoutBoundaryOrWithAnUnusedOneHasNoParts) {
  EXPECT_TRUE(parse_message("Content-Type: multipart/mixed\r\n\r\n--x\r\n\r\nbody").children.empty());
  EXPECT_TRUE(parse_message("Content-Type: multipart/mixed; boundary=q\r\n\r\n--x\r\n").children.empty());
  // A prefix of the boundary is not the boundary.
  EXPECT_TRUE(parse_message("Content-Type: multipart/mixed; boundary=ab\r\n\r\n--abc\r\n").children.empty());
}

TEST(MimeParser, DigestPartsDefaultToMessageRfc822) {
  std::string text = "Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\n\r\nSubject: x\r\n\r\nbody\r\n--d--\r\n";
  auto m = parse_message(text);
  ASSERT_EQ(m.children.size(), 1u);
  EXPECT_TRUE(m.children[0].is_message());
  ASSERT_EQ(m.children[0].children.size(), 1u);
  EXPECT_EQ(m.children[0].children[0].fields[0].value, "x");
}

TEST(MimeParser, StopsAtTheDepthLimit) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "Content-Type: message/rfc822\r\n\r\n";
  text += "Subject: deep\r\n\r\nbody";
  MimeLimits limits;
  limits.max_depth = 10;
  auto m = parse_message(text, limits);
  std::size_t depth = 0;
  const Part* p = &m;
  while (!p->children.empty()) p = &p->children[0], ++depth;
  EXPECT_EQ(depth, 10u);
  EXPECT_TRUE(p->truncated);
}

TEST(MimeParser, StopsAtThePartLimit) {
  std::string text = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 100; ++i) text += "--b\r\n\r\nx\r\n";
  MimeLimits limits;
  limits.max_parts = 20;
  auto m = parse_message(text, limits);
  EXPECT_LT(m.children.size(), 20u);
  EXPECT_TRUE(m.truncated);
}

TEST(MimeParser, LargeHostileInputsStayFast) {
  // 100k empty parts, a 2 MB line without LF inside deep nesting, and many header lines:
  // each must parse in well under a second (quadratic code would take minutes).
  std::string many = "Content-Type: multipart/mixed; boundary=b\r\n\r\n";
  for (int i = 0; i < 100000; ++i) many += "--b\r\n";
  std::string deep;
  for (int i = 0; i < 30; ++i) deep += "Content-Type: multipart/mixed; boundary=" + std::to_string(i) + "\r\n\r\n--" + std::to_string(i) + "\r\n";
  deep += std::string(2'000'000, 'a');
  std::string headers;
  for (int i = 0; i < 100000; ++i) headers += "X: y\r\n z\r\n";
  for (const std::string* text : {&many, &deep, &headers}) {
    auto start = std::chrono::steady_clock::now();
    auto m = parse_message(*text);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  }
}

TEST(MimeParser, CountsLines) {
  EXPECT_EQ(count_lines(""), 0u);
  EXPECT_EQ(count_lines("a"), 1u);
  EXPECT_EQ(count_lines("a\r\n"), 1u);
  EXPECT_EQ(count_lines("a\r\nb"), 2u);
  EXPECT_EQ(count_lines("\n\n"), 2u);
}

}  // namespace
}  // namespace mailflow::sim::mime
