// Expressions over a JSON record, as in a Flink SQL SELECT list or WHERE clause: field paths,
// literals, arithmetic, comparisons, AND/OR/NOT and MOD. Compiled once, evaluated per record on
// simdjson's DOM without allocating.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace ec {

// A value during evaluation. Strings point into the record's DOM or the expression's literals.
struct ExprValue {
  enum class Kind : uint8_t { kNull, kBool, kInt, kDecimal, kDouble, kString, kJson };
  Kind kind = Kind::kNull;
  bool boolean = false;
  int64_t integer = 0;  // kInt; kDecimal: the unscaled value
  int scale = 0;        // kDecimal: digits after the point
  double real = 0;
  std::string_view text;      // kString
  simdjson::dom::element json;  // kJson: an object or array, written as it is

  bool IsTrue() const { return kind == Kind::kBool && boolean; }
};

// Appends `v` to `out` as JSON: a decimal with all its scale's digits (0.908 * 1000 as 908.000;
// Flink's JSON format strips them, to 908, or to 4.54E+3 for 5000: equal numbers), a double
// in its shortest exact form, strings escaped, NULL as null.
void AppendJson(const ExprValue& v, std::string& out);

// Grammar (keywords case-insensitive):
//   expr    := or;  or := and (OR and)*;  and := not (AND not)*;  not := NOT not | compare
//   compare := sum [(= | <> | != | < | <= | > | >=) sum]
//   sum     := product ((+ | -) product)*;  product := unary ((* | / | %) unary)*
//   unary   := - unary | primary
//   primary := number | 'string' | TRUE | FALSE | NULL | MOD(expr, expr) | path | (expr)
//   path    := name (. name)*      a field, or a field of a nested object: bid.price
// Semantics as SQL: a missing field or JSON null is NULL, which any arithmetic or comparison
// passes on (a WHERE keeps a record only when its condition is TRUE); integers stay integers
// (division truncates; by zero gives NULL), a decimal literal keeps its scale exactly (0.908 *
// price has 3 digits after the point), anything with a double is a double.
class Expression {
 public:
  // Parses `text`; an error names what was wrong and where: "expected ')' at 14 in '...'".
  static absl::StatusOr<Expression> Parse(std::string_view text);

  ExprValue Evaluate(simdjson::dom::element record) const;

  // A lone field path's last name (bid.price → "price"), else "": the default output name.
  std::string_view PathName() const;

 private:
  enum class Op : uint8_t {
    kLiteral, kPath, kNeg, kNot, kAnd, kOr, kAdd, kSub, kMul, kDiv, kMod,
    kEq, kNe, kLt, kLe, kGt, kGe,
  };
  struct Node {
    Op op;
    int left = -1, right = -1;  // operand nodes
    ExprValue literal;          // kLiteral (a string's text is `str`, set when evaluated)
    std::string str;
    int path_begin = 0, path_end = 0;  // kPath: names_[path_begin, path_end)
  };
  class Parser;

  ExprValue Eval(int node, simdjson::dom::element record) const;

  std::vector<Node> nodes_;
  std::vector<std::string> names_;  // path segments
  int root_ = -1;
};

// `expr [AS name]`, one field of a select list.
struct SelectField {
  std::string name;
  Expression expr;
};
// Parses one select-list entry; a computed field without AS is refused ("name it: ... AS name").
absl::StatusOr<SelectField> ParseSelectField(std::string_view text);

}  // namespace ec
