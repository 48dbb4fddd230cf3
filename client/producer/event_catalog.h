// The fixed tables the synthetic Windows events are drawn from: event kinds per source (id,
// level, message template) and the users, processes, services, apps and products they name.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ec::producer {

// A placeholder in a message template, filled per event from the event's hash.
enum class Slot : uint8_t {
  kNone,  // end of the message
  kUser,
  kAccount,
  kDomain,
  kSid,
  kHost,  // short computer name, "WS-0042"
  kProcess,
  kCommandLine,
  kPid,
  kService,
  kState,
  kInstalledService,
  kInstalledServicePath,
  kApp,
  kAppVersion,
  kAppPath,
  kModule,
  kHex,
  kOffset,
  kBucket,
  kProduct,
  kProductVersion,
  kVendor,
  kLogonType,
  kIp,
  kDnsName,
  kNewAccount,
};

// Which accounts an event kind may name in its "user" field.
enum class UserClass : uint8_t { kDomain, kAdmin, kService, kAny };

// All strings below are stored JSON-escaped, ready to be copied between quotes.
struct UserEntry {
  std::string user;  // "CORP\\alice", "SYSTEM"
  std::string account;
  std::string domain;
  std::string sid;
};

struct ProcessEntry {
  std::string path;
  std::string command_line;
};

struct InstalledServiceEntry {
  std::string name;
  std::string path;
};

struct AppEntry {
  std::string name;
  std::string version;
  std::string path;
  std::string module;
};

struct ProductEntry {
  std::string name;
  std::string version;
  std::string vendor;
};

// A literal run of the message (escaped) followed by the slot to fill after it.
struct MessagePiece {
  std::string text;
  Slot slot;
};

struct EventKind {
  std::string_view source;
  std::string_view level;
  int event_id;
  UserClass user_class;
  int weight;  // relative frequency
  // `","source":"Security","level":"Audit Success","event_id":4624,"computer":"`: everything
  // between the timestamp and the computer name, so the hot path copies it in one go.
  std::string head;
  std::vector<MessagePiece> message;  // the last piece has Slot::kNone
};

// The value tables, as plain data.
struct CatalogTables {
  std::vector<UserEntry> users;  // domain users, then admins, then service accounts
  std::vector<ProcessEntry> processes;
  std::vector<std::string> services;  // display names
  std::vector<std::string> states;
  std::vector<InstalledServiceEntry> installed_services;
  std::vector<AppEntry> apps;
  std::vector<ProductEntry> products;
  std::vector<std::string> dns_names;
  std::vector<std::string> new_accounts;
  std::vector<std::string> logon_types;
};

// Built once per process on first use; immutable afterwards, so safe to share between threads.
class EventCatalog {
 public:
  static const EventCatalog& Get();

  EventCatalog(const EventCatalog&) = delete;
  EventCatalog& operator=(const EventCatalog&) = delete;

  // Picks a kind by weight; `bits16` is a uniformly distributed value below 2^16.
  const EventKind& PickKind(uint64_t bits16) const {
    return kinds_[pick_[(bits16 * pick_.size()) >> 16]];
  }
  // Picks a user of `user_class`; `bits8` is a uniformly distributed value below 256.
  const UserEntry& PickUser(UserClass user_class, uint64_t bits8) const {
    const UserRange& range = user_ranges_[static_cast<size_t>(user_class)];
    return tables_.users[range.first + ((bits8 * range.count) >> 8)];
  }

  std::span<const EventKind> kinds() const { return kinds_; }
  const CatalogTables& tables() const { return tables_; }

  // An upper bound of the length of any event line (and of any malformed line).
  size_t max_line_bytes() const { return max_line_bytes_; }

 private:
  EventCatalog();

  size_t MaxSlotBytes(Slot slot) const;

  struct UserRange {
    size_t first;
    size_t count;
  };

  CatalogTables tables_;
  UserRange user_ranges_[4];  // by UserClass
  std::vector<EventKind> kinds_;
  std::vector<uint8_t> pick_;  // one entry per unit of weight
  size_t max_line_bytes_ = 0;
};

// Escapes `raw` for use inside a JSON string ('"', '\\' and control characters).
std::string JsonEscape(std::string_view raw);

}  // namespace ec::producer
