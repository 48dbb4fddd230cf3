// The Kafka wire format's primitive types (https://kafka.apache.org/protocol#protocol_types):
// big-endian integers, unsigned varints, (compact) strings, bytes and arrays, tagged fields.
// Used by KafkaProtocolClient to build requests and read responses.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ec::kafka_wire {

// Appends encoded values to a byte string. `flexible` picks the compact forms (KIP-482) for
// strings, bytes and array lengths.
class Writer {
 public:
  void Int8(int8_t v) { out_.push_back(static_cast<char>(v)); }
  void Int16(int16_t v) { BigEndian(static_cast<uint16_t>(v), 2); }
  void Int32(int32_t v) { BigEndian(static_cast<uint32_t>(v), 4); }
  void Int64(int64_t v) { BigEndian(static_cast<uint64_t>(v), 8); }
  void Bool(bool v) { Int8(v ? 1 : 0); }
  void UnsignedVarint(uint32_t v);
  // STRING (int16 length) or COMPACT_STRING (varint length + 1).
  void String(absl::string_view s, bool flexible);
  // NULLABLE_STRING / COMPACT_NULLABLE_STRING with null (length -1 / 0).
  void NullString(bool flexible);
  // BYTES (int32 length) or COMPACT_BYTES.
  void Bytes(absl::string_view b, bool flexible);
  // The length of an ARRAY (int32) or COMPACT_ARRAY (varint n + 1).
  void ArrayLength(int32_t n, bool flexible);
  // An empty tagged-field section (flexible versions only).
  void EmptyTaggedFields() { UnsignedVarint(0); }

  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BigEndian(uint64_t v, int bytes);
  std::string out_;
};

// Reads encoded values from a byte string it does not own. Every read fails with
// DataLoss("... truncated") past the end, so a short or corrupt response is an error, not UB.
class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}

  absl::StatusOr<int8_t> Int8();
  absl::StatusOr<int16_t> Int16();
  absl::StatusOr<int32_t> Int32();
  absl::StatusOr<int64_t> Int64();
  absl::StatusOr<bool> Bool();
  absl::StatusOr<uint32_t> UnsignedVarint();
  // STRING/COMPACT_STRING; a null (nullable) string reads as "".
  absl::StatusOr<std::string> String(bool flexible);
  absl::StatusOr<std::string> Bytes(bool flexible);
  // An array's element count; a null array reads as 0.
  absl::StatusOr<int32_t> ArrayLength(bool flexible);
  // Skips a tagged-field section (the fields this client does not read).
  absl::Status SkipTaggedFields();

  size_t remaining() const { return data_.size() - pos_; }

 private:
  // A string (int16 length) or bytes (int32 length), or either compact when `flexible`.
  absl::StatusOr<std::string> LengthPrefixed(bool flexible, bool int32_length);
  absl::Status Need(size_t n) const;
  absl::StatusOr<uint64_t> BigEndian(int bytes);
  absl::string_view data_;
  size_t pos_ = 0;
};

// The absl::Status payload that carries a broker's error code (decimal text); see
// KafkaErrorCodeOf in kafka_protocol_client.h.
inline constexpr absl::string_view kErrorCodePayload = "type.eventcluster/kafka-error-code";
// `status` with the Kafka error code attached as that payload.
absl::Status WithErrorCode(absl::Status status, int16_t code);
// The protocol's name for an error code ("NOT_COORDINATOR"), or "UNKNOWN_ERROR_<code>".
std::string ErrorName(int16_t code);

}  // namespace ec::kafka_wire
