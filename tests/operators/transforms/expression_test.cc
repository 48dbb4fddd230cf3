// Expression: SQL semantics over JSON records — paths, NULLs, exact decimals, integer division,
// three-valued logic — and parse errors that say where.
#include "operators/transforms/expression.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ec {
namespace {

using ::testing::HasSubstr;

constexpr char kBid[] = R"({"event_type":2,"person":null,"auction":null,"bid":{"auction":1107,
  "bidder":2001,"price":1234,"channel":"Google","url":"https://x","dateTime":
  "2015-07-15 00:00:00.010","extra":"it's"}, "ratio": 0.5, "big": 9223372036854775807})";

// `text` evaluated on kBid, written as JSON.
std::string Eval(const std::string& text) {
  auto expr = Expression::Parse(text);
  EXPECT_TRUE(expr.ok()) << expr.status();
  if (!expr.ok()) return "<error>";
  static simdjson::dom::parser parser;
  static const simdjson::padded_string json(std::string_view{kBid});
  simdjson::dom::element doc = parser.parse(json).value();
  std::string out;
  AppendJson(expr->Evaluate(doc), out);
  return out;
}

TEST(ExpressionTest, PathsReadNestedFieldsAndMissingOnesAreNull) {
  EXPECT_EQ(Eval("bid.auction"), "1107");
  EXPECT_EQ(Eval("bid.channel"), R"("Google")");
  EXPECT_EQ(Eval("bid.extra"), R"("it's")");
  EXPECT_EQ(Eval("person"), "null");
  EXPECT_EQ(Eval("person.id"), "null");
  EXPECT_EQ(Eval("bid.nothing"), "null");
  EXPECT_EQ(Eval("bid"),
            R"({"auction":1107,"bidder":2001,"price":1234,"channel":"Google",)"
            R"("url":"https://x","dateTime":"2015-07-15 00:00:00.010","extra":"it's"})");
}

TEST(ExpressionTest, DecimalLiteralsKeepTheirScaleExactly) {
  // Nexmark q1: 0.908 * price, which Flink types DECIMAL(23, 3).
  EXPECT_EQ(Eval("0.908 * bid.price"), "1120.472");
  EXPECT_EQ(Eval("bid.price * 0.908"), "1120.472");
  EXPECT_EQ(Eval("0.908 * 1000"), "908.000");
  EXPECT_EQ(Eval("0.1 + 0.2"), "0.3");
  EXPECT_EQ(Eval("1.5 - 2"), "-0.5");
  EXPECT_EQ(Eval("-0.05 * 2"), "-0.10");
  EXPECT_EQ(Eval("ratio * 2"), "1");  // a JSON double stays a double
}

TEST(ExpressionTest, IntegersStayIntegersAndDivisionByZeroIsNull) {
  EXPECT_EQ(Eval("bid.price + 1"), "1235");
  EXPECT_EQ(Eval("7 / 2"), "3");
  EXPECT_EQ(Eval("-7 / 2"), "-3");
  EXPECT_EQ(Eval("7 % 3"), "1");
  EXPECT_EQ(Eval("MOD(bid.auction, 123)"), "0");
  EXPECT_EQ(Eval("mod(bid.auction, 100)"), "7");
  EXPECT_EQ(Eval("1 / 0"), "null");
  EXPECT_EQ(Eval("2 + 3 * 4"), "14");
  EXPECT_EQ(Eval("(2 + 3) * 4"), "20");
  EXPECT_EQ(Eval("big + 1"), "9223372036854775808");  // overflow falls back to a double
}

TEST(ExpressionTest, ComparisonsAndThreeValuedLogic) {
  EXPECT_EQ(Eval("event_type = 2"), "true");
  EXPECT_EQ(Eval("event_type <> 2"), "false");
  EXPECT_EQ(Eval("MOD(bid.auction, 123) = 0 AND bid.price >= 1234"), "true");
  EXPECT_EQ(Eval("bid.price > 1234.0"), "false");
  EXPECT_EQ(Eval("bid.price < 1234.5"), "true");
  EXPECT_EQ(Eval("bid.channel = 'Google'"), "true");
  EXPECT_EQ(Eval("bid.channel = 'google'"), "false");
  EXPECT_EQ(Eval("'it''s' = bid.extra"), "true");
  EXPECT_EQ(Eval("person.id = 1"), "null");
  EXPECT_EQ(Eval("person.id = 1 OR event_type = 2"), "true");
  EXPECT_EQ(Eval("person.id = 1 AND event_type = 3"), "false");
  EXPECT_EQ(Eval("person.id = 1 AND event_type = 2"), "null");
  EXPECT_EQ(Eval("NOT event_type = 2"), "false");
  EXPECT_EQ(Eval("NOT (person.id = 1)"), "null");
  EXPECT_EQ(Eval("bid.channel = 2"), "null");  // different kinds do not compare
}

TEST(ExpressionTest, ParseErrorsSayWhatAndWhere) {
  EXPECT_THAT(Expression::Parse("(bid.price").status().message(),
              HasSubstr("expected ')' at 11 in '(bid.price'"));
  EXPECT_THAT(Expression::Parse("bid.price +").status().message(),
              HasSubstr("expected a value at 12"));
  EXPECT_THAT(Expression::Parse("a = 'x").status().message(), HasSubstr("unterminated string"));
  EXPECT_THAT(Expression::Parse("a b").status().message(), HasSubstr("unexpected text at 3"));
  EXPECT_THAT(Expression::Parse("MOD(a 2)").status().message(), HasSubstr("expected ','"));
  EXPECT_THAT(Expression::Parse("12abc").status().message(), HasSubstr("expected a number"));
  EXPECT_THAT(Expression::Parse("bid.").status().message(), HasSubstr("expected a field name"));
}

TEST(ExpressionTest, SelectFieldsAreNamedByAsOrByTheirPath) {
  EXPECT_EQ(ParseSelectField("bid.auction")->name, "auction");
  EXPECT_EQ(ParseSelectField("0.908 * bid.price AS price")->name, "price");
  EXPECT_EQ(ParseSelectField("bid.dateTime as dateTime")->name, "dateTime");
  EXPECT_EQ(ParseSelectField("'a AS b' AS c")->name, "c");
  EXPECT_THAT(ParseSelectField("bid.price * 2").status().message(),
              HasSubstr("name the computed field"));
  EXPECT_THAT(ParseSelectField("bid.price AS").status().message(), HasSubstr("expected"));
}

}  // namespace
}  // namespace ec
