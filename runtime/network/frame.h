// The data plane's wire format over TCP, and the blocking socket I/O that reads and writes it.
//
// A connection starts with an 8-byte preamble from the producer side ("ECDX", version), then
// carries frames both ways. Every frame is one fixed little-endian header, the job id, and a
// payload (DATA only):
//
//   offset  size  field
//        0     4  frame_bytes: bytes after this field (36 + job id + payload)
//        4     1  kind (FrameKind)
//        5     1  job id bytes (J)
//        6     2  reserved, 0
//        8     8  job attempt (int64)
//       16    16  producer vertex, producer subtask, consumer vertex, consumer subtask (int32)
//       32     8  value: DATA record count | BARRIER checkpoint id | WATERMARK event time ms |
//                 CREDIT credits granted; 0 otherwise (OPEN, IDLE, END_OF_STREAM, CANCEL)
//       40     J  job id
//     40+J     -  DATA payload: record ends (uint32 × count, as RecordBatch::ends()), then the
//                 records' bytes back to back (RecordBatch::data())
//
// One DATA frame is one RecordBatch, sent and received as its two arrays: no per-record work
// beyond checking that the ends ascend. The full channel id in every frame (≈70 bytes against
// batches of kilobytes) keeps frames self-describing: no per-connection id table to keep in
// step, and any frame can be routed or reported on its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "runtime/network/channel_id.h"
#include "runtime/record_batch.h"

namespace ec {

class TlsStream;  // runtime/security/data_tls.h

// The connected socket frames go over: plain, or through the connection's TLS stream.
struct FrameSocket {
  FrameSocket(int fd) : fd(fd) {}  // NOLINT(runtime/explicit): a plain socket is an fd
  FrameSocket(int fd, TlsStream* tls) : fd(fd), tls(tls) {}
  int fd;
  TlsStream* tls = nullptr;  // not owned; set: every byte goes through it
};

enum class FrameKind : uint8_t {
  kOpen = 1,         // producer → consumer: "I produce this channel, send me credit"
  kData = 2,         // producer → consumer: one batch; needs one credit
  kBarrier = 3,      // producer → consumer: checkpoint barrier; events need no credit
  kWatermark = 4,    // producer → consumer: event time has reached `value` on this channel
  kIdle = 5,         // producer → consumer: no watermarks for a while; leave me out of the min
  kEndOfStream = 6,  // producer → consumer: nothing follows on this channel
  kCredit = 7,       // consumer → producer: `value` more batches may be sent
  kCancel = 8,       // producer → consumer: the producer stopped before END_OF_STREAM (its
                     // task failed or was cancelled); the consumer's channel fails
};
const char* FrameKindName(FrameKind kind);

inline constexpr size_t kFixedHeaderBytes = 40;
inline constexpr size_t kMaxJobIdBytes = 255;
// Frames above this are refused: a corrupt length must not make the reader allocate gigabytes.
inline constexpr size_t kMaxFrameBytes = size_t{256} << 20;

struct FrameHeader {
  FrameKind kind = FrameKind::kData;
  ChannelId channel;
  int64_t value = 0;
  uint32_t payload_bytes = 0;  // DATA: 4 × records + data bytes; 0 for every other kind
};

// Write the preamble and frames to a connected blocking socket (or its TLS stream). Not
// thread-safe: the connection serializes its writers. Errors carry strerror ("Broken pipe"); the caller adds
// the peer's address.
absl::Status WritePreamble(FrameSocket socket);
// An event, OPEN or CREDIT frame (no payload).
absl::Status WriteFrame(FrameSocket socket, FrameKind kind, const ChannelId& channel,
                        int64_t value);
// A DATA frame of `batch`, written from the batch's own arrays (no staging copy).
absl::Status WriteDataFrame(FrameSocket socket, const ChannelId& channel,
                            const RecordBatch& batch);

// Reads frames from a connected blocking socket through a 64 KiB buffer, so small frames cost
// one recv() for many. Owned by the connection's reader thread.
class FrameReader {
 public:
  explicit FrameReader(FrameSocket socket);

  absl::Status ReadPreamble();
  // Reads the next header (reusing `header`'s job id string). Every header is followed by its
  // payload: call ReadBatch or SkipPayload before the next ReadHeader.
  absl::Status ReadHeader(FrameHeader& header);
  // Reads a DATA payload into `batch` (cleared first) and checks its record ends.
  absl::Status ReadBatch(const FrameHeader& header, RecordBatch& batch);
  absl::Status SkipPayload(const FrameHeader& header);

 private:
  absl::Status ReadExact(char* dst, size_t n);

  FrameSocket socket_;
  std::vector<char> buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace ec
