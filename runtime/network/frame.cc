// Encoding, decoding and blocking socket I/O of data-plane frames.
#include "runtime/network/frame.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "runtime/security/data_tls.h"

namespace ec {
namespace {

// Headers and record ends go out as they are in memory; every platform we build for is
// little-endian, and this keeps the receive path a plain copy.
static_assert(std::endian::native == std::endian::little, "the wire format is little-endian");

constexpr uint32_t kMagic = 0x58444345;  // "ECDX"
constexpr uint32_t kVersion = 1;
static_assert(kFixedHeaderBytes == 40, "update the layout in frame.h");
constexpr size_t kReadBufferBytes = 64 * 1024;

template <typename T>
void Put(char* out, size_t offset, T value) {
  std::memcpy(out + offset, &value, sizeof(T));
}
template <typename T>
T Get(const char* in, size_t offset) {
  T value;
  std::memcpy(&value, in + offset, sizeof(T));
  return value;
}

absl::Status ErrnoStatus() { return absl::UnavailableError(std::strerror(errno)); }

absl::Status ProtocolError(const std::string& what) {
  return absl::DataLossError(absl::StrCat("protocol error: ", what));
}

bool ValidKind(uint8_t kind) {
  return kind >= static_cast<uint8_t>(FrameKind::kOpen) &&
         kind <= static_cast<uint8_t>(FrameKind::kCancel);
}

// sendmsg() until every byte of `iov` is out; MSG_NOSIGNAL turns a dead peer into EPIPE.
absl::Status SendAll(FrameSocket socket, iovec* iov, int count) {
  if (socket.tls) return socket.tls->SendAll(iov, count);
  const int fd = socket.fd;
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    ssize_t sent = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus();
    }
    while (count > 0 && static_cast<size_t>(sent) >= iov->iov_len) {
      sent -= static_cast<ssize_t>(iov->iov_len);
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + sent;
      iov->iov_len -= static_cast<size_t>(sent);
    }
  }
  return absl::OkStatus();
}

}  // namespace

const char* FrameKindName(FrameKind kind) {
  switch (kind) {
    case FrameKind::kOpen:
      return "OPEN";
    case FrameKind::kData:
      return "DATA";
    case FrameKind::kBarrier:
      return "BARRIER";
    case FrameKind::kWatermark:
      return "WATERMARK";
    case FrameKind::kIdle:
      return "IDLE";
    case FrameKind::kEndOfStream:
      return "END_OF_STREAM";
    case FrameKind::kCredit:
      return "CREDIT";
    case FrameKind::kCancel:
      return "CANCEL";
  }
  return "UNKNOWN";
}

absl::Status WritePreamble(FrameSocket socket) {
  char preamble[8];
  Put(preamble, 0, kMagic);
  Put(preamble, 4, kVersion);
  iovec iov{preamble, sizeof(preamble)};
  return SendAll(socket, &iov, 1);
}

namespace {

absl::Status WriteAnyFrame(FrameSocket socket, FrameKind kind, const ChannelId& c, int64_t value,
                           const RecordBatch* batch) {
  if (c.job_id.size() > kMaxJobIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("job id longer than ", kMaxJobIdBytes));
  }
  const size_t payload = batch ? batch->size() * sizeof(uint32_t) + batch->bytes() : 0;
  const size_t frame_bytes = kFixedHeaderBytes - 4 + c.job_id.size() + payload;
  if (frame_bytes > kMaxFrameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch of ", payload, " bytes exceeds the frame limit of ", kMaxFrameBytes));
  }
  char fixed[kFixedHeaderBytes];
  Put(fixed, 0, static_cast<uint32_t>(frame_bytes));
  Put(fixed, 4, static_cast<uint8_t>(kind));
  Put(fixed, 5, static_cast<uint8_t>(c.job_id.size()));
  Put(fixed, 6, uint16_t{0});
  Put(fixed, 8, c.attempt);
  Put(fixed, 16, c.producer_vertex);
  Put(fixed, 20, c.producer_subtask);
  Put(fixed, 24, c.consumer_vertex);
  Put(fixed, 28, c.consumer_subtask);
  Put(fixed, 32, value);
  iovec iov[4];
  int count = 0;
  iov[count++] = {fixed, sizeof(fixed)};
  if (!c.job_id.empty()) iov[count++] = {const_cast<char*>(c.job_id.data()), c.job_id.size()};
  if (batch && !batch->empty()) {
    // Straight from the producer's batch into the kernel.
    iov[count++] = {const_cast<uint32_t*>(batch->ends().data()), batch->size() * sizeof(uint32_t)};
    if (batch->bytes() > 0) {
      iov[count++] = {const_cast<char*>(batch->data().data()), batch->bytes()};
    }
  }
  return SendAll(socket, iov, count);
}

}  // namespace

absl::Status WriteFrame(FrameSocket socket, FrameKind kind, const ChannelId& channel,
                        int64_t value) {
  return WriteAnyFrame(socket, kind, channel, value, nullptr);
}

absl::Status WriteDataFrame(FrameSocket socket, const ChannelId& channel,
                            const RecordBatch& batch) {
  return WriteAnyFrame(socket, FrameKind::kData, channel, static_cast<int64_t>(batch.size()), &batch);
}

FrameReader::FrameReader(FrameSocket socket) : socket_(socket), buffer_(kReadBufferBytes) {}

absl::Status FrameReader::ReadExact(char* dst, size_t n) {
  while (n > 0) {
    if (begin_ == end_) {
      // A large read goes straight to its destination; small ones refill the buffer.
      const bool direct = n >= buffer_.size();
      char* into = direct ? dst : buffer_.data();
      ssize_t got;
      if (socket_.tls) {
        absl::StatusOr<size_t> read = socket_.tls->Recv(into, direct ? n : buffer_.size());
        if (!read.ok()) return read.status();
        got = static_cast<ssize_t>(*read);
      } else {
        got = recv(socket_.fd, into, direct ? n : buffer_.size(), 0);
      }
      if (got == 0) return absl::UnavailableError("closed by peer");
      if (got < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus();
      }
      if (direct) {
        dst += got;
        n -= static_cast<size_t>(got);
        continue;
      }
      begin_ = 0;
      end_ = static_cast<size_t>(got);
    }
    const size_t take = std::min(n, end_ - begin_);
    std::memcpy(dst, buffer_.data() + begin_, take);
    begin_ += take;
    dst += take;
    n -= take;
  }
  return absl::OkStatus();
}

absl::Status FrameReader::ReadPreamble() {
  char preamble[8];
  if (auto s = ReadExact(preamble, sizeof(preamble)); !s.ok()) return s;
  if (Get<uint32_t>(preamble, 0) != kMagic) return ProtocolError("not an EventCluster data peer");
  if (uint32_t v = Get<uint32_t>(preamble, 4); v != kVersion) {
    return ProtocolError(absl::StrCat("data protocol version ", v, ", expected ", kVersion));
  }
  return absl::OkStatus();
}

absl::Status FrameReader::ReadHeader(FrameHeader& header) {
  char fixed[kFixedHeaderBytes];
  if (auto s = ReadExact(fixed, sizeof(fixed)); !s.ok()) return s;
  const uint32_t frame_bytes = Get<uint32_t>(fixed, 0);
  const uint8_t kind = Get<uint8_t>(fixed, 4);
  const uint8_t job_bytes = Get<uint8_t>(fixed, 5);
  if (!ValidKind(kind)) return ProtocolError(absl::StrCat("unknown frame kind ", kind));
  if (frame_bytes > kMaxFrameBytes || frame_bytes < kFixedHeaderBytes - 4 + job_bytes) {
    return ProtocolError(absl::StrCat("bad frame length ", frame_bytes));
  }
  header.kind = static_cast<FrameKind>(kind);
  header.channel.attempt = Get<int64_t>(fixed, 8);
  header.channel.producer_vertex = Get<int32_t>(fixed, 16);
  header.channel.producer_subtask = Get<int32_t>(fixed, 20);
  header.channel.consumer_vertex = Get<int32_t>(fixed, 24);
  header.channel.consumer_subtask = Get<int32_t>(fixed, 28);
  header.value = Get<int64_t>(fixed, 32);
  header.payload_bytes = frame_bytes - (kFixedHeaderBytes - 4) - job_bytes;
  header.channel.job_id.resize(job_bytes);
  if (auto s = ReadExact(header.channel.job_id.data(), job_bytes); !s.ok()) return s;
  if (header.kind != FrameKind::kData && header.payload_bytes != 0) {
    return ProtocolError(absl::StrCat(FrameKindName(header.kind), " frame with a payload"));
  }
  if (header.kind == FrameKind::kData &&
      (header.value < 0 || static_cast<uint64_t>(header.value) * 4 > header.payload_bytes)) {
    return ProtocolError(absl::StrCat("DATA frame of ", header.value, " records in ",
                                      header.payload_bytes, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status FrameReader::ReadBatch(const FrameHeader& header, RecordBatch& batch) {
  batch.Clear();
  // The record count comes from the peer: it must fit the payload before anything is sized by it.
  if (header.value < 0 ||
      static_cast<uint64_t>(header.value) > header.payload_bytes / sizeof(uint32_t)) {
    return ProtocolError(absl::StrCat("DATA frame claims ", header.value, " records in ",
                                      header.payload_bytes, " payload bytes"));
  }
  const size_t records = static_cast<size_t>(header.value);
  const size_t data_bytes = header.payload_bytes - records * sizeof(uint32_t);
  std::vector<uint32_t>& ends = batch.mutable_ends();
  ends.resize(records);
  if (auto s = ReadExact(reinterpret_cast<char*>(ends.data()), records * 4); !s.ok()) return s;
  std::string& data = batch.buffer();
  data.resize(data_bytes);
  if (auto s = ReadExact(data.data(), data_bytes); !s.ok()) return s;
  // The only per-record step on receive: a bad end would make operator[] read out of bounds.
  uint32_t previous = 0;
  for (uint32_t end : ends) {
    if (end < previous) return ProtocolError("record ends out of order");
    previous = end;
  }
  if (previous != data_bytes) return ProtocolError("record ends do not match the data length");
  return absl::OkStatus();
}

absl::Status FrameReader::SkipPayload(const FrameHeader& header) {
  char sink[4096];
  for (size_t left = header.payload_bytes; left > 0;) {
    const size_t n = std::min(left, sizeof(sink));
    if (auto s = ReadExact(sink, n); !s.ok()) return s;
    left -= n;
  }
  return absl::OkStatus();
}

}  // namespace ec
