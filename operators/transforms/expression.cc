// Expression: a recursive-descent parser into a node array, and an evaluator over simdjson's DOM.
#include "operators/transforms/expression.h"

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include <array>
#include <charconv>
#include <cmath>

namespace ec {
namespace {

using Kind = ExprValue::Kind;

// Debian's abseil has its own string_view.
absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

constexpr int kMaxScale = 18;
constexpr auto kPow10 = [] {
  std::array<int64_t, kMaxScale + 1> pow{1};
  for (int i = 1; i <= kMaxScale; ++i) pow[i] = pow[i - 1] * 10;
  return pow;
}();

ExprValue Null() { return {}; }
ExprValue Bool(bool b) {
  ExprValue v;
  v.kind = Kind::kBool;
  v.boolean = b;
  return v;
}
ExprValue Int(int64_t i) {
  ExprValue v;
  v.kind = Kind::kInt;
  v.integer = i;
  return v;
}
ExprValue Decimal(int64_t unscaled, int scale) {
  ExprValue v;
  v.kind = Kind::kDecimal;
  v.integer = unscaled;
  v.scale = scale;
  return v;
}
ExprValue Double(double d) {
  ExprValue v;
  v.kind = Kind::kDouble;
  v.real = d;
  return v;
}

bool IsNumber(const ExprValue& v) {
  return v.kind == Kind::kInt || v.kind == Kind::kDecimal || v.kind == Kind::kDouble;
}
double AsDouble(const ExprValue& v) {
  if (v.kind == Kind::kDouble) return v.real;
  if (v.kind == Kind::kDecimal) return static_cast<double>(v.integer) / kPow10[v.scale];
  return static_cast<double>(v.integer);
}
int ScaleOf(const ExprValue& v) { return v.kind == Kind::kDecimal ? v.scale : 0; }

// `v`'s unscaled value at `scale` (>= its own); false on overflow.
bool Rescale(const ExprValue& v, int scale, int64_t* out) {
  return !__builtin_mul_overflow(v.integer, kPow10[scale - ScaleOf(v)], out);
}

// An exact result at `scale` (0: an integer), or the double fallback.
ExprValue Exact(int64_t unscaled, int scale) {
  return scale == 0 ? Int(unscaled) : Decimal(unscaled, scale);
}

ExprValue Arithmetic(char op, const ExprValue& a, const ExprValue& b) {
  if (!IsNumber(a) || !IsNumber(b)) return Null();
  const bool exact = a.kind != Kind::kDouble && b.kind != Kind::kDouble;
  if (exact && op != '/' && op != '%') {
    int64_t x, y, r;
    if (op == '*') {
      const int scale = ScaleOf(a) + ScaleOf(b);
      if (scale <= kMaxScale && !__builtin_mul_overflow(a.integer, b.integer, &r)) {
        return Exact(r, scale);
      }
    } else {
      const int scale = std::max(ScaleOf(a), ScaleOf(b));
      if (Rescale(a, scale, &x) && Rescale(b, scale, &y) &&
          !(op == '+' ? __builtin_add_overflow(x, y, &r) : __builtin_sub_overflow(x, y, &r))) {
        return Exact(r, scale);
      }
    }
  }
  if ((op == '/' || op == '%') && a.kind == Kind::kInt && b.kind == Kind::kInt) {
    if (b.integer == 0) return Null();
    if (a.integer == INT64_MIN && b.integer == -1) return op == '/' ? Double(-AsDouble(a)) : Int(0);
    return Int(op == '/' ? a.integer / b.integer : a.integer % b.integer);
  }
  const double x = AsDouble(a), y = AsDouble(b);
  switch (op) {
    case '+': return Double(x + y);
    case '-': return Double(x - y);
    case '*': return Double(x * y);
    case '/': return y == 0 ? Null() : Double(x / y);
    default: return y == 0 ? Null() : Double(std::fmod(x, y));
  }
}

// -1, 0 or 1; `ok` false when the two cannot be compared (NULL, or different kinds).
int Compare(const ExprValue& a, const ExprValue& b, bool* ok) {
  *ok = true;
  if (IsNumber(a) && IsNumber(b)) {
    if (a.kind != Kind::kDouble && b.kind != Kind::kDouble) {
      const int scale = std::max(ScaleOf(a), ScaleOf(b));
      int64_t x, y;
      if (Rescale(a, scale, &x) && Rescale(b, scale, &y)) return (x > y) - (x < y);
    }
    const double x = AsDouble(a), y = AsDouble(b);
    return (x > y) - (x < y);
  }
  if (a.kind == Kind::kString && b.kind == Kind::kString) {
    const int c = a.text.compare(b.text);
    return (c > 0) - (c < 0);
  }
  if (a.kind == Kind::kBool && b.kind == Kind::kBool) return int{a.boolean} - int{b.boolean};
  *ok = false;
  return 0;
}

ExprValue FromJson(simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::INT64: return Int(e.get_int64().value_unsafe());
    case simdjson::dom::element_type::UINT64: {
      const uint64_t u = e.get_uint64().value_unsafe();
      return u <= INT64_MAX ? Int(static_cast<int64_t>(u)) : Double(static_cast<double>(u));
    }
    case simdjson::dom::element_type::DOUBLE: return Double(e.get_double().value_unsafe());
    case simdjson::dom::element_type::STRING: {
      ExprValue v;
      v.kind = Kind::kString;
      v.text = e.get_string().value_unsafe();
      return v;
    }
    case simdjson::dom::element_type::BOOL: return Bool(e.get_bool().value_unsafe());
    case simdjson::dom::element_type::NULL_VALUE: return Null();
    default: {
      ExprValue v;
      v.kind = Kind::kJson;
      v.json = e;
      return v;
    }
  }
}

void AppendEscaped(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

template <typename T>
void AppendNumber(T n, std::string& out) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, n).ptr;
  out.append(buf, end);
}

}  // namespace

void AppendJson(const ExprValue& v, std::string& out) {
  switch (v.kind) {
    case Kind::kNull: out.append("null"); return;
    case Kind::kBool: out.append(v.boolean ? "true" : "false"); return;
    case Kind::kInt: AppendNumber(v.integer, out); return;
    case Kind::kDouble:
      if (std::isfinite(v.real)) {
        AppendNumber(v.real, out);
      } else {
        out.append("null");
      }
      return;
    case Kind::kDecimal: {
      if (v.integer < 0) out.push_back('-');
      const uint64_t magnitude =
          v.integer < 0 ? 0 - static_cast<uint64_t>(v.integer) : static_cast<uint64_t>(v.integer);
      const auto pow = static_cast<uint64_t>(kPow10[v.scale]);
      AppendNumber(magnitude / pow, out);
      out.push_back('.');
      char digits[24];
      uint64_t fraction = magnitude % pow;
      for (int i = v.scale - 1; i >= 0; --i, fraction /= 10) digits[i] = char('0' + fraction % 10);
      out.append(digits, static_cast<size_t>(v.scale));
      return;
    }
    case Kind::kString: AppendEscaped(v.text, out); return;
    case Kind::kJson: out.append(simdjson::to_string(v.json)); return;
  }
}

// Tokens are read straight off the text; every error says what was expected and where.
class Expression::Parser {
 public:
  Parser(std::string_view text, Expression& expr) : text_(text), e_(expr) {}

  absl::StatusOr<int> ParseAll() {
    auto root = Or();
    if (root.ok() && (Skip(), pos_ < text_.size())) return Error("unexpected text");
    return root;
  }
  // Parses an expression that may end before the text does; returns the position reached.
  absl::StatusOr<int> ParsePrefix(size_t* end) {
    auto root = Or();
    *end = pos_;
    return root;
  }

 private:
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(
        absl::StrCat(Av(what), " at ", pos_ + 1, " in '", Av(text_), "'"));
  }
  void Skip() {
    while (pos_ < text_.size() && absl::ascii_isspace(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
  }
  static bool IsNameChar(char c, bool first) {
    return absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' ||
           (!first && absl::ascii_isdigit(static_cast<unsigned char>(c)));
  }
  std::string_view PeekName() {
    Skip();
    size_t end = pos_;
    while (end < text_.size() && IsNameChar(text_[end], end == pos_)) ++end;
    return text_.substr(pos_, end - pos_);
  }
  bool Keyword(std::string_view word) {
    const std::string_view name = PeekName();
    if (!absl::EqualsIgnoreCase(Av(name), Av(word))) return false;
    pos_ += name.size();
    return true;
  }
  bool Symbol(std::string_view symbol) {
    Skip();
    if (text_.substr(pos_, symbol.size()) != symbol) return false;
    pos_ += symbol.size();
    return true;
  }
  int Add(Op op, int left = -1, int right = -1) {
    Node node;
    node.op = op;
    node.left = left;
    node.right = right;
    e_.nodes_.push_back(std::move(node));
    return static_cast<int>(e_.nodes_.size()) - 1;
  }
  int AddLiteral(ExprValue v, std::string str = {}) {
    const int n = Add(Op::kLiteral);
    e_.nodes_[n].literal = v;
    e_.nodes_[n].str = std::move(str);
    return n;
  }

  // One level of left-associative binary operators, read by `next`.
  template <typename Next, typename Match>
  absl::StatusOr<int> Binary(Next next, Match match) {
    auto left = (this->*next)();
    if (!left.ok()) return left;
    Op op;
    while (match(&op)) {
      auto right = (this->*next)();
      if (!right.ok()) return right;
      left = Add(op, *left, *right);
    }
    return left;
  }
  absl::StatusOr<int> Or() {
    return Binary(&Parser::And, [this](Op* op) { return *op = Op::kOr, Keyword("OR"); });
  }
  absl::StatusOr<int> And() {
    return Binary(&Parser::Not, [this](Op* op) { return *op = Op::kAnd, Keyword("AND"); });
  }
  absl::StatusOr<int> Not() {
    if (!Keyword("NOT")) return Comparison();
    auto operand = Not();
    if (!operand.ok()) return operand;
    return Add(Op::kNot, *operand);
  }
  absl::StatusOr<int> Comparison() {
    auto left = Sum();
    if (!left.ok()) return left;
    static constexpr std::pair<std::string_view, Op> kOps[] = {
        {"<>", Op::kNe}, {"!=", Op::kNe}, {"<=", Op::kLe}, {">=", Op::kGe}, {"==", Op::kEq},
        {"=", Op::kEq},  {"<", Op::kLt},  {">", Op::kGt}};
    for (const auto& [symbol, op] : kOps) {
      if (!Symbol(symbol)) continue;
      auto right = Sum();
      if (!right.ok()) return right;
      return Add(op, *left, *right);
    }
    return left;
  }
  absl::StatusOr<int> Sum() {
    return Binary(&Parser::Product, [this](Op* op) {
      if (Symbol("+")) return *op = Op::kAdd, true;
      if (Symbol("-")) return *op = Op::kSub, true;
      return false;
    });
  }
  absl::StatusOr<int> Product() {
    return Binary(&Parser::Unary, [this](Op* op) {
      if (Symbol("*")) return *op = Op::kMul, true;
      if (Symbol("/")) return *op = Op::kDiv, true;
      if (Symbol("%")) return *op = Op::kMod, true;
      return false;
    });
  }
  absl::StatusOr<int> Unary() {
    if (!Symbol("-")) return Primary();
    auto operand = Unary();
    if (!operand.ok()) return operand;
    return Add(Op::kNeg, *operand);
  }
  absl::StatusOr<int> Primary() {
    Skip();
    if (pos_ >= text_.size()) return Error("expected a value");
    const char c = text_[pos_];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '.') return Number();
    if (c == '\'') return String();
    if (Symbol("(")) {
      auto inner = Or();
      if (!inner.ok()) return inner;
      if (!Symbol(")")) return Error("expected ')'");
      return inner;
    }
    if (Keyword("TRUE")) return AddLiteral(Bool(true));
    if (Keyword("FALSE")) return AddLiteral(Bool(false));
    if (Keyword("NULL")) return AddLiteral(Null());
    const size_t start = pos_;
    if (Keyword("MOD") && Symbol("(")) {
      auto a = Or();
      if (!a.ok()) return a;
      if (!Symbol(",")) return Error("expected ',' in MOD(a, b)");
      auto b = Or();
      if (!b.ok()) return b;
      if (!Symbol(")")) return Error("expected ')'");
      return Add(Op::kMod, *a, *b);
    }
    pos_ = start;
    return Path();
  }
  absl::StatusOr<int> Path() {
    const int node = Add(Op::kPath);
    e_.nodes_[node].path_begin = static_cast<int>(e_.names_.size());
    do {
      const std::string_view name = PeekName();
      if (name.empty()) return Error("expected a field name or a value");
      e_.names_.emplace_back(name);
      pos_ += name.size();
    } while (pos_ < text_.size() && text_[pos_] == '.' && ++pos_);
    e_.nodes_[node].path_end = static_cast<int>(e_.names_.size());
    return node;
  }
  absl::StatusOr<int> Number() {
    const size_t start = pos_;
    while (pos_ < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
      ++pos_;
    }
    size_t point = std::string_view::npos;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      point = pos_++;
      while (pos_ < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
    }
    const bool exponent = pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E');
    if (exponent) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      while (pos_ < text_.size() && absl::ascii_isdigit(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      }
    }
    const std::string_view digits = text_.substr(start, pos_ - start);
    if (digits == "." || (pos_ < text_.size() && IsNameChar(text_[pos_], false))) {
      return Error("expected a number");
    }
    if (exponent) {
      double d = 0;
      if (std::from_chars(digits.data(), digits.data() + digits.size(), d).ec != std::errc()) {
        return Error("expected a number");
      }
      return AddLiteral(Double(d));
    }
    std::string unscaled(digits);
    int scale = 0;
    if (point != std::string_view::npos) {
      scale = static_cast<int>(pos_ - point - 1);
      unscaled.erase(point - start, 1);
    }
    int64_t value = 0;
    const char* last = unscaled.data() + unscaled.size();
    if (std::from_chars(unscaled.data(), last, value).ec != std::errc() || scale > kMaxScale) {
      return Error("number out of range");
    }
    return AddLiteral(Exact(value, scale));
  }
  absl::StatusOr<int> String() {
    std::string value;
    for (++pos_; pos_ < text_.size(); ++pos_) {
      if (text_[pos_] == '\'') {
        if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '\'') {  // '' is a quote, as in SQL
          value.push_back('\'');
          ++pos_;
          continue;
        }
        ++pos_;
        ExprValue v;
        v.kind = Kind::kString;
        return AddLiteral(v, std::move(value));
      }
      value.push_back(text_[pos_]);
    }
    return Error("unterminated string");
  }

  std::string_view text_;
  Expression& e_;
  size_t pos_ = 0;
};

absl::StatusOr<Expression> Expression::Parse(std::string_view text) {
  Expression expr;
  Parser parser(text, expr);
  auto root = parser.ParseAll();
  if (!root.ok()) return root.status();
  expr.root_ = *root;
  return expr;
}

std::string_view Expression::PathName() const {
  const Node& node = nodes_[root_];
  return node.op == Op::kPath ? std::string_view(names_[node.path_end - 1]) : std::string_view();
}

ExprValue Expression::Evaluate(simdjson::dom::element record) const { return Eval(root_, record); }

ExprValue Expression::Eval(int index, simdjson::dom::element record) const {
  const Node& node = nodes_[index];
  switch (node.op) {
    case Op::kLiteral: {
      ExprValue v = node.literal;
      if (v.kind == Kind::kString) v.text = node.str;
      return v;
    }
    case Op::kPath: {
      simdjson::dom::element e = record;
      for (int i = node.path_begin; i < node.path_end; ++i) {
        simdjson::dom::object object;
        if (e.get_object().get(object) || object.at_key(names_[i]).get(e)) return Null();
      }
      return FromJson(e);
    }
    case Op::kNeg: {
      const ExprValue v = Eval(node.left, record);
      return Arithmetic('-', Int(0), v);
    }
    case Op::kNot: {
      const ExprValue v = Eval(node.left, record);
      return v.kind == Kind::kBool ? Bool(!v.boolean) : Null();
    }
    case Op::kAnd:
    case Op::kOr: {
      const bool is_and = node.op == Op::kAnd;
      const ExprValue a = Eval(node.left, record);
      if (a.kind == Kind::kBool && a.boolean != is_and) return a;  // FALSE AND x, TRUE OR x
      const ExprValue b = Eval(node.right, record);
      if (b.kind == Kind::kBool && b.boolean != is_and) return b;
      if (a.kind == Kind::kBool && b.kind == Kind::kBool) return Bool(is_and);
      return Null();
    }
    default: break;
  }
  const ExprValue a = Eval(node.left, record);
  const ExprValue b = Eval(node.right, record);
  switch (node.op) {
    case Op::kAdd: return Arithmetic('+', a, b);
    case Op::kSub: return Arithmetic('-', a, b);
    case Op::kMul: return Arithmetic('*', a, b);
    case Op::kDiv: return Arithmetic('/', a, b);
    case Op::kMod: return Arithmetic('%', a, b);
    default: break;
  }
  bool ok;
  const int c = Compare(a, b, &ok);
  if (!ok) return Null();
  switch (node.op) {
    case Op::kEq: return Bool(c == 0);
    case Op::kNe: return Bool(c != 0);
    case Op::kLt: return Bool(c < 0);
    case Op::kLe: return Bool(c <= 0);
    case Op::kGt: return Bool(c > 0);
    default: return Bool(c >= 0);
  }
}

absl::StatusOr<SelectField> ParseSelectField(std::string_view text) {
  // The last " AS name" (outside quotes: a name cannot hold a quote) names the field.
  std::string_view body = text;
  std::string name;
  const std::string upper = absl::AsciiStrToUpper(Av(text));
  const size_t as = upper.rfind(" AS ");
  if (as != std::string::npos && upper.find('\'', as) == std::string::npos) {
    name = std::string(absl::StripAsciiWhitespace(Av(text.substr(as + 4))));
    body = text.substr(0, as);
    const bool valid = !name.empty() && std::all_of(name.begin(), name.end(), [&](char c) {
      return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat("bad name after AS in '", Av(text), "'"));
    }
  }
  auto expr = Expression::Parse(body);
  if (!expr.ok()) return expr.status();
  if (name.empty()) name = std::string(expr->PathName());
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("name the computed field: '", Av(text), " AS name'"));
  }
  return SelectField{std::move(name), *std::move(expr)};
}

}  // namespace ec
