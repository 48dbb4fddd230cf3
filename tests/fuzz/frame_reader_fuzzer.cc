// Fuzzes the data plane's frame decoding: the bytes a peer sends after the handshake (preamble,
// headers, job ids, DATA payloads) read through FrameReader from a real socket, as a consumer's
// reader thread does. Malformed input must end in an error, never a crash, an oversized
// allocation or a batch whose record ends point outside its data.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "runtime/network/frame.h"
#include "runtime/record_batch.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 200000) return 0;  // the socket pair's buffer holds it all
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) __builtin_trap();
  int buffer = 1 << 20;
  setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  size_t sent = 0;
  while (sent < size) {
    const ssize_t n = write(fds[0], data + sent, size - sent);
    if (n <= 0) __builtin_trap();
    sent += static_cast<size_t>(n);
  }
  close(fds[0]);  // the peer hangs up after its bytes
  ec::FrameReader reader(fds[1]);
  if (reader.ReadPreamble().ok()) {
    ec::FrameHeader header;
    ec::RecordBatch batch;
    while (reader.ReadHeader(header).ok()) {
      if (header.kind == ec::FrameKind::kData) {
        if (!reader.ReadBatch(header, batch).ok()) break;
        size_t bytes = 0;
        for (size_t i = 0; i < batch.size(); ++i) bytes += batch[i].size();
        if (bytes != batch.bytes()) __builtin_trap();
      } else if (!reader.SkipPayload(header).ok()) {
        break;
      }
    }
  }
  close(fds[1]);
  return 0;
}
