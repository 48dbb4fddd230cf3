// Select: one DOM parse per record (the parser reused), then the fields written straight into
// the output batch.
#include "operators/transforms/select.h"

#include "absl/strings/str_cat.h"
#include "operators/transforms/padded_record.h"

namespace ec {

Select::Select(std::vector<SelectField> fields, std::optional<Expression> where)
    : fields_(std::move(fields)), where_(std::move(where)) {
  for (const auto& field : fields_) keys_.push_back(absl::StrCat("\"", field.name, "\":"));
}

absl::Status Select::ProcessBatch(const RecordBatch& in, RecordBatch& out) {
  for (size_t i = 0; i < in.size(); ++i) {
    const simdjson::padded_string_view record = PaddedRecord(in, i, scratch_);
    simdjson::dom::element doc;
    const simdjson::error_code error =
        parser_.parse(record.data(), record.length(), false).get(doc);
    if (error || !doc.is_object()) {
      const char* reason = error ? simdjson::error_message(error) : "not a JSON object";
      if (auto s = dead_letters_->Write(in[i], reason); !s.ok()) return s;
      continue;
    }
    if (where_ && !where_->Evaluate(doc).IsTrue()) continue;
    if (fields_.empty()) {
      out.Append(in[i]);
      continue;
    }
    std::string& buffer = out.buffer();
    buffer.push_back('{');
    for (size_t f = 0; f < fields_.size(); ++f) {
      if (f > 0) buffer.push_back(',');
      buffer.append(keys_[f]);
      AppendJson(fields_[f].expr.Evaluate(doc), buffer);
    }
    buffer.push_back('}');
    out.Commit();
  }
  return absl::OkStatus();
}

namespace {

absl::StatusOr<std::vector<SelectField>> FieldsOf(const OperatorSpec& op,
                                                  const std::string& path) {
  std::vector<SelectField> fields;
  if (!op.config.contains("fields")) return fields;
  const auto& list = op.config["fields"];
  if (!list.is_array() || list.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path, ".fields: expected a non-empty list of expressions"));
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = absl::StrCat("job file: ", path, ".fields[", i, "]: ");
    if (!list[i].is_string()) {
      return absl::InvalidArgumentError(at + "expected a string such as \"bid.price AS price\"");
    }
    auto field = ParseSelectField(list[i].get<std::string>());
    if (!field.ok()) return absl::InvalidArgumentError(at + std::string(field.status().message()));
    for (const auto& earlier : fields) {
      if (earlier.name == field->name) {
        return absl::InvalidArgumentError(at + "a second field named " + field->name);
      }
    }
    fields.push_back(*std::move(field));
  }
  return fields;
}

}  // namespace

absl::StatusOr<std::optional<Expression>> WhereOf(const OperatorSpec& op,
                                                  const std::string& path) {
  if (!op.config.contains("where")) return std::nullopt;
  const auto& where = op.config["where"];
  if (!where.is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path, ".where: expected a condition such as \"price > 10\""));
  }
  auto expr = Expression::Parse(where.get<std::string>());
  if (!expr.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path, ".where: ", expr.status().message()));
  }
  return std::optional<Expression>(*std::move(expr));
}

absl::Status ValidateSelect(const JobSpec& job, const OperatorSpec& op, const std::string& path) {
  if (!op.config.contains("fields") && !op.config.contains("where")) {
    return absl::InvalidArgumentError(
        absl::StrCat("job file: ", path, ": expected \"fields\", \"where\" or both"));
  }
  if (auto fields = FieldsOf(op, path); !fields.ok()) return fields.status();
  if (auto where = WhereOf(op, path); !where.ok()) return where.status();
  return ValidateDeadLetter(job, op, path);
}

std::unique_ptr<Operator> CreateSelect(const JobSpec&, const OperatorSpec& op) {
  return std::make_unique<Select>(*FieldsOf(op, op.name), *WhereOf(op, op.name));
}

}  // namespace ec
