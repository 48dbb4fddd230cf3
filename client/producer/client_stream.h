// Serves one producer connection: the RESUME handshake, then the event stream, paced or as
// fast as the reader takes it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "client/producer/windows_events.h"

namespace ec::producer {

struct StreamConfig {
  uint64_t seed = 42;
  EventGenerator::Options generator;
  double rate = 10;    // events per second; 0: as fast as possible
  uint64_t count = 0;  // the stream is events 0..count-1; 0: endless
};

// Runs on the connection's own thread, which owns it. The socket stays owned by the caller
// (EventServer), which may shut it down from another thread to end Run() early; `stopping`
// tells Run() that such an end is the server's and not the client's.
class ClientStream {
 public:
  // How a stream ended.
  enum class End { kCountReached, kPeerClosed, kWriteError, kStopping };

  ClientStream(int fd, std::string peer, const StreamConfig& config,
               const std::atomic<bool>& stopping);

  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  // Serves the connection to its end and shuts down the sending side; logs one line when the
  // client connects and one when it goes. Never throws; I/O errors end the stream.
  void Run();

 private:
  // Waits up to 100 ms for a RESUME line; returns the seq to start at.
  uint64_t ReadResume();
  End StreamFast(uint64_t end_seq);
  End StreamPaced(uint64_t end_seq);
  // Sends [data, data + size) whole; returns 0 or the errno that ended it.
  int SendAll(const char* data, size_t size);
  // Sleeps until `deadline` unless the connection ends first. Discards what the client sends.
  // Returns false when the peer hung up or the server is stopping.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline);
  // Lets the reader see everything sent before the socket closes (no RST for unread input).
  void ShutdownGracefully();
  // Records `error` and classifies the end it caused.
  End EndForError(int error);

  const int fd_;
  const std::string peer_;
  const StreamConfig config_;
  const std::atomic<bool>& stopping_;
  EventGenerator generator_;
  std::unique_ptr<char[]> buffer_;
  bool input_closed_ = false;  // the client shut down its sending side
  uint64_t next_seq_ = 0;
  int last_error_ = 0;
};

}  // namespace ec::producer
