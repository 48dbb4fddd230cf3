// The Kafka wire format's primitive types.
#include "connectors/kafka/kafka_wire.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace ec::kafka_wire {

void Writer::BigEndian(uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void Writer::UnsignedVarint(uint32_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void Writer::String(absl::string_view s, bool flexible) {
  if (flexible) {
    UnsignedVarint(static_cast<uint32_t>(s.size()) + 1);
  } else {
    Int16(static_cast<int16_t>(s.size()));
  }
  out_.append(s.data(), s.size());
}

void Writer::NullString(bool flexible) {
  if (flexible) {
    UnsignedVarint(0);
  } else {
    Int16(-1);
  }
}

void Writer::Bytes(absl::string_view b, bool flexible) {
  if (flexible) {
    UnsignedVarint(static_cast<uint32_t>(b.size()) + 1);
  } else {
    Int32(static_cast<int32_t>(b.size()));
  }
  out_.append(b.data(), b.size());
}

void Writer::ArrayLength(int32_t n, bool flexible) {
  if (flexible) {
    UnsignedVarint(static_cast<uint32_t>(n) + 1);
  } else {
    Int32(n);
  }
}

absl::Status Reader::Need(size_t n) const {
  if (remaining() < n) {
    return absl::DataLossError(
        absl::StrCat("kafka response truncated (need ", n, " bytes, ", remaining(), " left)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> Reader::BigEndian(int bytes) {
  if (auto s = Need(bytes); !s.ok()) return s;
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(data_[pos_ + i]);
  pos_ += bytes;
  return v;
}

absl::StatusOr<int8_t> Reader::Int8() {
  auto v = BigEndian(1);
  if (!v.ok()) return v.status();
  return static_cast<int8_t>(*v);
}
absl::StatusOr<int16_t> Reader::Int16() {
  auto v = BigEndian(2);
  if (!v.ok()) return v.status();
  return static_cast<int16_t>(*v);
}
absl::StatusOr<int32_t> Reader::Int32() {
  auto v = BigEndian(4);
  if (!v.ok()) return v.status();
  return static_cast<int32_t>(*v);
}
absl::StatusOr<int64_t> Reader::Int64() {
  auto v = BigEndian(8);
  if (!v.ok()) return v.status();
  return static_cast<int64_t>(*v);
}
absl::StatusOr<bool> Reader::Bool() {
  auto v = Int8();
  if (!v.ok()) return v.status();
  return *v != 0;
}

absl::StatusOr<uint32_t> Reader::UnsignedVarint() {
  uint32_t v = 0;
  for (int shift = 0; shift <= 28; shift += 7) {
    if (auto s = Need(1); !s.ok()) return s;
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    v |= static_cast<uint32_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return v;
  }
  return absl::DataLossError("kafka response: varint longer than 5 bytes");
}

absl::StatusOr<std::string> Reader::LengthPrefixed(bool flexible, bool int32_length) {
  int64_t length;
  if (flexible) {  // compact: unsigned varint of length + 1, 0 for null
    auto n = UnsignedVarint();
    if (!n.ok()) return n.status();
    length = static_cast<int64_t>(*n) - 1;
  } else if (int32_length) {
    auto n = Int32();
    if (!n.ok()) return n.status();
    length = *n;
  } else {
    auto n = Int16();
    if (!n.ok()) return n.status();
    length = *n;
  }
  if (length < 0) return std::string();
  if (auto s = Need(length); !s.ok()) return s;
  std::string out(data_.substr(pos_, length));
  pos_ += length;
  return out;
}

absl::StatusOr<std::string> Reader::String(bool flexible) {
  return LengthPrefixed(flexible, /*int32_length=*/false);
}

absl::StatusOr<std::string> Reader::Bytes(bool flexible) {
  return LengthPrefixed(flexible, /*int32_length=*/true);
}

absl::StatusOr<int32_t> Reader::ArrayLength(bool flexible) {
  if (flexible) {
    auto n = UnsignedVarint();
    if (!n.ok()) return n.status();
    return *n == 0 ? 0 : static_cast<int32_t>(*n - 1);
  }
  auto n = Int32();
  if (!n.ok()) return n.status();
  return *n < 0 ? 0 : *n;
}

absl::Status Reader::SkipTaggedFields() {
  auto count = UnsignedVarint();
  if (!count.ok()) return count.status();
  for (uint32_t i = 0; i < *count; ++i) {
    if (auto tag = UnsignedVarint(); !tag.ok()) return tag.status();
    auto size = UnsignedVarint();
    if (!size.ok()) return size.status();
    if (auto s = Need(*size); !s.ok()) return s;
    pos_ += *size;
  }
  return absl::OkStatus();
}

absl::Status WithErrorCode(absl::Status status, int16_t code) {
  status.SetPayload(kErrorCodePayload, absl::Cord(absl::StrCat(code)));
  return status;
}

std::string ErrorName(int16_t code) {
  switch (code) {
    case -1:
      return "UNKNOWN_SERVER_ERROR";
    case 0:
      return "NONE";
    case 7:
      return "REQUEST_TIMED_OUT";
    case 14:
      return "COORDINATOR_LOAD_IN_PROGRESS";
    case 15:
      return "COORDINATOR_NOT_AVAILABLE";
    case 16:
      return "NOT_COORDINATOR";
    case 31:
      return "CLUSTER_AUTHORIZATION_FAILED";
    case 33:
      return "UNSUPPORTED_SASL_MECHANISM";
    case 34:
      return "ILLEGAL_SASL_STATE";
    case 35:
      return "UNSUPPORTED_VERSION";
    case 42:
      return "INVALID_REQUEST";
    case 47:
      return "INVALID_PRODUCER_EPOCH";
    case 48:
      return "INVALID_TXN_STATE";
    case 49:
      return "INVALID_PRODUCER_ID_MAPPING";
    case 50:
      return "INVALID_TRANSACTION_TIMEOUT";
    case 51:
      return "CONCURRENT_TRANSACTIONS";
    case 53:
      return "TRANSACTIONAL_ID_AUTHORIZATION_FAILED";
    case 58:
      return "SASL_AUTHENTICATION_FAILED";
    case 59:
      return "UNKNOWN_PRODUCER_ID";
    case 90:
      return "PRODUCER_FENCED";
    case 105:
      return "TRANSACTIONAL_ID_NOT_FOUND";
    case 118:
      return "TRANSACTION_ABORTABLE";
    default:
      return absl::StrCat("UNKNOWN_ERROR_", code);
  }
}

}  // namespace ec::kafka_wire
