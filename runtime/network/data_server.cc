// DataServer: accepting producer connections and routing their frames to input gates.
#include "runtime/network/data_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/logging.h"
#include "runtime/network/connection.h"
#include "runtime/network/frame.h"
#include "runtime/security/handshake.h"

namespace ec {

// One accepted connection: its reader thread, and the credit sink of the channels opened on
// it (a CREDIT frame back to the producer).
class ServerConnection : public CreditSink, public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(int fd, ChannelRegistry& registry, const DataServerOptions& options,
                   RefusalLog& refusals)
      : connection_(fd, PeerAddress(fd)), registry_(registry), options_(options),
        refusals_(refusals) {}
  ~ServerConnection() override {
    if (reader_.joinable()) reader_.join();
  }

  void Start() {
    reader_ = std::thread([this] { Run(); });
  }
  void Shutdown() { connection_.Shutdown(); }
  void Join() {
    if (reader_.joinable()) reader_.join();
  }
  bool done() const { return done_.load(); }

  void GrantCredit(const ChannelId& channel, int credits) override {
    // A failed write means the connection is going; its reader reports that.
    (void)connection_.WriteFrame(FrameKind::kCredit, channel, credits);
  }

 private:
  void Run();
  absl::Status Serve();
  absl::Status OnData(FrameReader& reader, const FrameHeader& header);
  // Nothing more comes on the channel: its id is free for a new producer (a restarted job).
  void Ended(const ChannelId& id) {
    registry_.RemoveSender(id, this, absl::OkStatus());
    opened_.erase(id);
  }

  Connection connection_;
  ChannelRegistry& registry_;
  const DataServerOptions& options_;
  RefusalLog& refusals_;
  absl::flat_hash_set<ChannelId> opened_;  // reader thread only
  RecordBatch discard_;  // reader thread only: frames for channels nobody consumes
  std::thread reader_;
  std::atomic<bool> done_{false};
};

void ServerConnection::Run() {
  const absl::Status status = Serve();
  const absl::Status lost = absl::UnavailableError(
      absl::StrCat("data connection from ", connection_.peer(), " lost: ", status.message()));
  if (!opened_.empty()) Logger("network")->debug("{}", lost.message());
  for (const ChannelId& id : opened_) registry_.RemoveSender(id, this, lost);
  connection_.Shutdown();
  done_.store(true);
}

absl::Status ServerConnection::Serve() {
  if (options_.secret) {
    absl::Status s = ServerHandshake(connection_.fd(), *options_.secret,
                                     absl::Now() + options_.handshake_timeout);
    if (!s.ok()) {
      refusals_.Refused(connection_.peer(), std::string(s.message()));
      return s;
    }
  }
  if (options_.tls) {
    auto tls = options_.tls->Accept(connection_.fd(), absl::Now() + options_.handshake_timeout);
    if (!tls.ok()) {
      refusals_.Refused(connection_.peer(), std::string(tls.status().message()));
      return tls.status();
    }
    connection_.UseTls(*std::move(tls));
  }
  FrameReader reader(connection_.socket());
  if (auto s = reader.ReadPreamble(); !s.ok()) return s;
  FrameHeader header;
  while (true) {
    if (auto s = reader.ReadHeader(header); !s.ok()) return s;
    // Only a channel's producer may feed or end it: anything else would spend its credit.
    if (header.kind != FrameKind::kOpen && !opened_.contains(header.channel)) {
      if (header.kind == FrameKind::kData) {
        if (auto s = reader.SkipPayload(header); !s.ok()) return s;
      }
      Logger("network")->debug("data connection from {}: {} for unopened {} dropped",
                               connection_.peer(), FrameKindName(header.kind),
                               header.channel.ToString());
      continue;
    }
    switch (header.kind) {
      case FrameKind::kOpen:
        if (auto s = registry_.AddSender(header.channel, shared_from_this()); !s.ok()) {
          // The producer gets no credit and its task stays blocked until the job restarts.
          Logger("network")->error("data connection from {}: {}", connection_.peer(), s.message());
        } else {
          opened_.insert(header.channel);
        }
        break;
      case FrameKind::kData:
        if (auto s = OnData(reader, header); !s.ok()) return s;
        break;
      case FrameKind::kCredit:
        return absl::DataLossError("protocol error: CREDIT sent to a consumer");
      case FrameKind::kCancel:
        registry_.RemoveSender(header.channel, this,
                               absl::AbortedError(absl::StrCat(
                                   "producer of ", header.channel.ToString(), " on ",
                                   connection_.peer(), " stopped before the end of its stream")));
        opened_.erase(header.channel);
        break;
      default: {
        auto receiver = registry_.FindReceiver(header.channel);
        // Free the id before the consumer can see the end and a new producer come.
        if (header.kind == FrameKind::kEndOfStream) Ended(header.channel);
        if (receiver) receiver->queues->PushEvent(receiver->index, header.kind, header.value);
        break;
      }
    }
  }
}

absl::Status ServerConnection::OnData(FrameReader& reader, const FrameHeader& header) {
  std::optional<ChannelReceiver> receiver = registry_.FindReceiver(header.channel);
  if (!receiver) return reader.ReadBatch(header, discard_);  // its gate is gone
  auto buffer = receiver->queues->TakeBuffer(receiver->index);
  if (!buffer.ok()) return buffer.status();
  if (auto s = reader.ReadBatch(header, **buffer); !s.ok()) return s;
  receiver->queues->PushData(receiver->index, *std::move(buffer));
  return absl::OkStatus();
}

DataServer::DataServer(DataServerOptions options) : options_(std::move(options)) {}

DataServer::~DataServer() { Stop(); }

absl::Status DataServer::Start() {
  auto listening = ListenTcp(options_.host, options_.port);
  if (!listening.ok()) {
    return absl::Status(listening.status().code(),
                        absl::StrCat("data port: ", listening.status().message()));
  }
  listen_fd_ = listening->fd;
  port_ = listening->port;
  acceptor_ = std::thread([this] { AcceptLoop(); });
  Logger("network")->info("data server listening on {}:{}", options_.host, port_);
  return absl::OkStatus();
}

void DataServer::AcceptLoop() {
  while (true) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // Stop() shut the socket down
    }
    SetNoDelay(fd);
    auto connection = std::make_shared<ServerConnection>(fd, registry_, options_, refusals_);
    absl::MutexLock lock(&mu_);
    if (stopped_) return;  // the connection's destructor closes fd
    Reap();
    connections_.push_back(connection);
    connection->Start();
  }
}

void DataServer::Reap() {
  std::erase_if(connections_, [](const std::shared_ptr<ServerConnection>& c) {
    if (!c->done()) return false;
    c->Join();
    return true;
  });
}

void DataServer::Stop() {
  std::vector<std::shared_ptr<ServerConnection>> connections;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    connections.swap(connections_);
  }
  if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  for (auto& c : connections) c->Shutdown();
  for (auto& c : connections) c->Join();
}

}  // namespace ec
