// DataClient: connections to peer data servers, their credit readers, remote output channels.
#include "runtime/network/data_client.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "runtime/logging.h"
#include "runtime/network/connection.h"
#include "runtime/network/frame.h"
#include "runtime/security/handshake.h"

namespace ec {

// One connection to a peer's DataServer: producer threads write frames to it, its reader
// thread turns CREDIT frames into credits of the channels opened on it. Thread-safe.
class ClientConnection {
 public:
  ClientConnection(int fd, std::string peer, std::unique_ptr<TlsStream> tls)
      : connection_(fd, std::move(peer)) {
    if (tls) connection_.UseTls(std::move(tls));
  }
  ~ClientConnection() {
    connection_.Shutdown();
    if (reader_.joinable()) reader_.join();
  }

  absl::Status Start() {
    if (auto s = connection_.WritePreamble(); !s.ok()) return Lost(s);
    reader_ = std::thread([this] { Break(Lost(ReadCredits())); });
    return absl::OkStatus();
  }

  // Announces the channel to the consumer's server, which grants credit once its gate is
  // there. AlreadyExists if this process already produces `id`.
  absl::Status Open(const ChannelId& id, std::shared_ptr<ChannelCredit> credit) {
    {
      absl::MutexLock lock(&mu_);
      if (!broken_.ok()) return broken_;
      if (!channels_.emplace(id, std::move(credit)).second) {
        return absl::AlreadyExistsError(absl::StrCat(id.ToString(), " is already open"));
      }
    }
    return Write(connection_.WriteFrame(FrameKind::kOpen, id, 0));
  }
  void Forget(const ChannelId& id) {
    absl::MutexLock lock(&mu_);
    channels_.erase(id);
  }
  absl::Status WriteData(const ChannelId& id, const RecordBatch& batch) {
    return Write(connection_.WriteData(id, batch));
  }
  absl::Status WriteEvent(FrameKind kind, const ChannelId& id, int64_t value) {
    return Write(connection_.WriteFrame(kind, id, value));
  }
  bool broken() const {
    absl::MutexLock lock(&mu_);
    return !broken_.ok();
  }

 private:
  absl::Status ReadCredits() {
    FrameReader reader(connection_.socket());
    FrameHeader header;
    while (true) {
      if (auto s = reader.ReadHeader(header); !s.ok()) return s;
      if (header.kind != FrameKind::kCredit) {
        return absl::DataLossError(
            absl::StrCat("protocol error: ", FrameKindName(header.kind), " sent to a producer"));
      }
      std::shared_ptr<ChannelCredit> credit;
      {
        absl::MutexLock lock(&mu_);
        auto it = channels_.find(header.channel);
        if (it != channels_.end()) credit = it->second;
      }
      if (credit) credit->GrantCredit(header.channel, static_cast<int>(header.value));
    }
  }
  absl::Status Lost(const absl::Status& cause) const {
    return absl::UnavailableError(
        absl::StrCat("data connection to ", connection_.peer(), " lost: ", cause.message()));
  }
  absl::Status Write(const absl::Status& status) {
    if (status.ok()) return status;
    absl::Status lost = Lost(status);
    Break(lost);
    return lost;
  }
  // Fails every channel on the connection; the first reason is the one reported.
  void Break(const absl::Status& reason) {
    std::vector<std::shared_ptr<ChannelCredit>> credits;
    {
      absl::MutexLock lock(&mu_);
      if (!broken_.ok()) return;
      broken_ = reason;
      for (auto& [id, credit] : channels_) credits.push_back(credit);
    }
    if (!credits.empty()) Logger("network")->warn("{}", reason.message());
    connection_.Shutdown();
    for (auto& credit : credits) (void)credit->Fail(reason);
  }

  Connection connection_;
  std::thread reader_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<ChannelId, std::shared_ptr<ChannelCredit>> channels_ ABSL_GUARDED_BY(mu_);
  absl::Status broken_ ABSL_GUARDED_BY(mu_);
};

namespace {

// The producer end of a channel whose consumer is on another TaskManager.
class RemoteOutputChannel final : public OutputChannel {
 public:
  RemoteOutputChannel(const ChannelId& id, std::shared_ptr<ChannelCredit> credit,
                      std::shared_ptr<ClientConnection> connection)
      : OutputChannel(id, std::move(credit)), connection_(std::move(connection)) {}
  ~RemoteOutputChannel() override {
    // Best effort: if the connection is gone, its consumer already knows.
    if (!ended()) (void)connection_->WriteEvent(FrameKind::kCancel, id_, 0);
    connection_->Forget(id_);
  }

 private:
  absl::Status WriteBatch(const RecordBatch& batch) override {
    return connection_->WriteData(id_, batch);
  }
  absl::Status WriteEvent(FrameKind kind, int64_t value) override {
    return connection_->WriteEvent(kind, id_, value);
  }

  std::shared_ptr<ClientConnection> connection_;
};

}  // namespace

DataClient::DataClient(DataClientOptions options) : options_(std::move(options)) {}

DataClient::~DataClient() = default;

absl::StatusOr<std::unique_ptr<OutputChannel>> DataClient::Open(const std::string& peer,
                                                                const ChannelId& id) {
  if (options_.local_registry && peer == options_.local_address) {
    return LocalOutputChannel::Open(*options_.local_registry, id);
  }
  auto connection = ConnectionTo(peer);
  if (!connection.ok()) return connection.status();
  auto credit = std::make_shared<ChannelCredit>();
  if (auto s = (*connection)->Open(id, credit); !s.ok()) return s;
  return std::make_unique<RemoteOutputChannel>(id, std::move(credit), *std::move(connection));
}

absl::StatusOr<std::shared_ptr<ClientConnection>> DataClient::ConnectionTo(
    const std::string& peer) {
  std::shared_ptr<Peer> slot;
  {
    absl::MutexLock lock(&mu_);
    auto& entry = peers_[peer];
    if (!entry) entry = std::make_shared<Peer>();
    slot = entry;
  }
  absl::MutexLock lock(&slot->mu);
  if (slot->connection && !slot->connection->broken()) return slot->connection;
  slot->connection.reset();
  auto fd = ConnectWithRetry(peer);
  if (!fd.ok()) return fd.status();
  if (options_.secret) {
    absl::Status s =
        ClientHandshake(*fd, *options_.secret, absl::Now() + options_.handshake_timeout);
    if (!s.ok()) {
      close(*fd);
      return absl::UnauthenticatedError(
          absl::StrCat("data connection to ", peer, " refused: ", s.message()));
    }
  }
  std::unique_ptr<TlsStream> tls;
  if (options_.tls) {
    auto stream = options_.tls->Connect(*fd, absl::Now() + options_.handshake_timeout);
    if (!stream.ok()) {
      close(*fd);
      return absl::UnauthenticatedError(
          absl::StrCat("data connection to ", peer, " refused: ", stream.status().message()));
    }
    tls = *std::move(stream);
  }
  auto connection = std::make_shared<ClientConnection>(*fd, peer, std::move(tls));
  if (auto s = connection->Start(); !s.ok()) return s;
  slot->connection = connection;
  return connection;
}

absl::StatusOr<int> DataClient::ConnectWithRetry(const std::string& peer) {
  auto address = ParseHostPort(peer);
  if (!address.ok())
    return absl::InvalidArgumentError(absl::StrCat("data ", address.status().message()));
  const absl::Time deadline = absl::Now() + options_.connect_timeout;
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    connect_attempts_.fetch_add(1);
    // Batches are already large; Nagle would only delay barriers, watermarks and credits.
    auto fd = DialTcp(address->host, address->port,
                      std::max(deadline, absl::Now() + absl::Milliseconds(1)), {.no_delay = true});
    if (fd.ok()) return fd;
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::UnavailableError(absl::StrCat("cannot connect to data port ", peer, " within ",
                                                 absl::FormatDuration(options_.connect_timeout),
                                                 ": ", fd.status().message()));
    }
    const absl::Duration wait = std::min(backoff, left);
    Logger("network")->info("connecting to data port {} failed ({}); retrying in {}", peer,
                            fd.status().message(), absl::FormatDuration(wait));
    absl::SleepFor(wait);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace ec
