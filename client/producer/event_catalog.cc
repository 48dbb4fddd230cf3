// Event kinds and value tables for the synthetic Windows events. Messages follow the wording of
// the real Windows events, shortened; several carry quotes, backslashes, tabs and newlines so
// that parsers downstream meet JSON escapes.
#include "client/producer/event_catalog.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ec::producer {
namespace {

// Bytes of a line that do not come from the catalog: keys and punctuation, a 20-digit seq,
// the 24-byte timestamp, the computer name.
constexpr size_t kFramingBytes = 128;

struct KindSpec {
  std::string_view source;
  std::string_view level;
  int event_id;
  UserClass user_class;
  int weight;
  std::string_view message;  // raw text; {name} marks a slot
};

constexpr std::string_view kSecurity = "Security";
constexpr std::string_view kSystem = "System";
constexpr std::string_view kApplication = "Application";
constexpr std::string_view kAuditSuccess = "Audit Success";
constexpr std::string_view kAuditFailure = "Audit Failure";
constexpr std::string_view kInformation = "Information";
constexpr std::string_view kWarning = "Warning";
constexpr std::string_view kError = "Error";
constexpr std::string_view kCritical = "Critical";

// Weights sum to 100: Security half of the stream, System and Application a quarter each.
const KindSpec kKindSpecs[] = {
    // Security
    {kSecurity, kAuditSuccess, 4624, UserClass::kAny, 16,
     "An account was successfully logged on.\n\nNew Logon:\n\tSecurity ID:\t{sid}\n"
     "\tAccount Name:\t{account}\n\tAccount Domain:\t{domain}\n\tLogon Type:\t{logon_type}\n"
     "\nNetwork Information:\n\tWorkstation Name:\t{host}\n\tSource Network Address:\t{ip}"},
    {kSecurity, kAuditFailure, 4625, UserClass::kDomain, 4,
     "An account failed to log on.\n\nAccount For Which Logon Failed:\n\tAccount Name:\t{account}"
     "\n\tAccount Domain:\t{domain}\n\nFailure Information:\n\tFailure Reason:\tUnknown user "
     "name or bad password.\n\tStatus:\t0xC000006D\n\tSub Status:\t0xC000006A\n\tLogon Type:\t"
     "{logon_type}\n\tSource Network Address:\t{ip}"},
    {kSecurity, kAuditSuccess, 4634, UserClass::kAny, 12,
     "An account was logged off. Account Name: {account} Account Domain: {domain} Logon Type: "
     "{logon_type}"},
    {kSecurity, kAuditSuccess, 4672, UserClass::kAdmin, 6,
     "Special privileges assigned to new logon. Security ID: {sid} Account Name: {account} "
     "Account Domain: {domain} Privileges: SeSecurityPrivilege SeBackupPrivilege "
     "SeRestorePrivilege SeTakeOwnershipPrivilege SeDebugPrivilege SeImpersonatePrivilege"},
    {kSecurity, kAuditSuccess, 4688, UserClass::kAny, 10,
     "A new process has been created. Creator Subject: Account Name: {account} Account Domain: "
     "{domain} New Process ID: {pid} New Process Name: {process} Process Command Line: "
     "{command_line} Creator Process Name: C:\\Windows\\explorer.exe"},
    {kSecurity, kAuditSuccess, 4720, UserClass::kAdmin, 1,
     "A user account was created. Subject: Account Name: {account} Account Domain: {domain} "
     "New Account: Account Name: {new_account} Account Domain: CORP"},
    {kSecurity, kAuditSuccess, 4740, UserClass::kDomain, 1,
     "A user account was locked out. Subject: Account Name: DC01$ Account Domain: CORP "
     "Account That Was Locked Out: Security ID: {sid} Account Name: {account} Additional "
     "Information: Caller Computer Name: {host}"},
    // System
    {kSystem, kInformation, 6005, UserClass::kService, 2, "The Event log service was started."},
    {kSystem, kInformation, 6006, UserClass::kService, 2, "The Event log service was stopped."},
    {kSystem, kInformation, 7036, UserClass::kService, 12,
     "The {service} service entered the {state} state."},
    {kSystem, kInformation, 1074, UserClass::kDomain, 2,
     "The process C:\\Windows\\system32\\winlogon.exe ({host}) has initiated the restart of "
     "computer {host} on behalf of user {user} for the following reason: Operating System: "
     "Upgrade (Planned)\n Reason Code: 0x80020003\n Shutdown Type: restart\n Comment: "
     "\"Patch Tuesday\" maintenance window"},
    {kSystem, kCritical, 41, UserClass::kService, 1,
     "The system has rebooted without cleanly shutting down first. This error could be caused "
     "if the system stopped responding, crashed, or lost power unexpectedly."},
    {kSystem, kInformation, 7045, UserClass::kService, 1,
     "A service was installed in the system.\n\nService Name:  {installed_service}\nService File "
     "Name:  {installed_service_path}\nService Type:  user mode service\nService Start Type:  "
     "auto start\nService Account:  LocalSystem"},
    {kSystem, kWarning, 1014, UserClass::kService, 4,
     "Name resolution for the name {dns_name} timed out after none of the configured DNS "
     "servers responded."},
    {kSystem, kError, 7000, UserClass::kService, 1,
     "The {service} service failed to start due to the following error: \nThe system cannot "
     "find the file specified."},
    // Application
    {kApplication, kError, 1000, UserClass::kDomain, 5,
     "Faulting application name: {app}, version: {app_version}, time stamp: 0x{hex}\nFaulting "
     "module name: {module}, version: 10.0.19041.3636, time stamp: 0x{hex}\nException code: "
     "0xc0000005\nFault offset: {offset}\nFaulting process id: {pid}\nFaulting application "
     "path: {app_path}"},
    {kApplication, kInformation, 1001, UserClass::kService, 5,
     "Fault bucket {bucket}, type 4\nEvent Name: APPCRASH\nResponse: Not available\nCab Id: 0\n"
     "\nProblem signature:\nP1: {app}\nP2: {app_version}\nP3: {module}"},
    {kApplication, kError, 1026, UserClass::kDomain, 3,
     "Application: {app}\nFramework Version: v4.0.30319\nDescription: The process was "
     "terminated due to an unhandled exception.\nException Info: System.IO."
     "FileNotFoundException: Could not find file 'C:\\Users\\{account}\\AppData\\Local\\Temp\\"
     "report.xlsx'."},
    {kApplication, kInformation, 11707, UserClass::kAny, 4,
     "Product: {product} -- Installation completed successfully."},
    {kApplication, kInformation, 1033, UserClass::kAny, 4,
     "Windows Installer installed the product. Product Name: {product}. Product Version: "
     "{product_version}. Product Language: 1033. Manufacturer: {vendor}. Installation success "
     "or error status: 0."},
    {kApplication, kWarning, 1530, UserClass::kDomain, 4,
     "Windows detected your registry file is still in use by other applications or services. "
     "The file will be unloaded now.\n\nDETAIL - \n1 user registry handles leaked from "
     "\\Registry\\User\\{sid}:\nProcess 2024 (\\Device\\HarddiskVolume3\\Windows\\System32\\"
     "svchost.exe) has opened key \\REGISTRY\\USER\\{sid}"},
};

constexpr int kDomainUsers = 16;
constexpr int kAdminUsers = 4;
constexpr int kServiceUsers = 4;

struct SlotName {
  std::string_view name;
  Slot slot;
};

constexpr SlotName kSlotNames[] = {
    {"user", Slot::kUser},
    {"account", Slot::kAccount},
    {"domain", Slot::kDomain},
    {"sid", Slot::kSid},
    {"host", Slot::kHost},
    {"process", Slot::kProcess},
    {"command_line", Slot::kCommandLine},
    {"pid", Slot::kPid},
    {"service", Slot::kService},
    {"state", Slot::kState},
    {"installed_service", Slot::kInstalledService},
    {"installed_service_path", Slot::kInstalledServicePath},
    {"app", Slot::kApp},
    {"app_version", Slot::kAppVersion},
    {"app_path", Slot::kAppPath},
    {"module", Slot::kModule},
    {"hex", Slot::kHex},
    {"offset", Slot::kOffset},
    {"bucket", Slot::kBucket},
    {"product", Slot::kProduct},
    {"product_version", Slot::kProductVersion},
    {"vendor", Slot::kVendor},
    {"logon_type", Slot::kLogonType},
    {"ip", Slot::kIp},
    {"dns_name", Slot::kDnsName},
    {"new_account", Slot::kNewAccount},
};

// The tables are part of the program; a broken template is a programmer error.
[[noreturn]] void DieBadTemplate(std::string_view message, std::string_view why) {
  std::fprintf(stderr, "event catalog: %s in template \"%.*s\"\n", std::string(why).c_str(),
               static_cast<int>(message.size()), message.data());
  std::abort();
}

std::vector<MessagePiece> CompileTemplate(std::string_view message) {
  std::vector<MessagePiece> pieces;
  std::string literal;
  size_t i = 0;
  while (i < message.size()) {
    if (message[i] != '{') {
      literal.push_back(message[i++]);
      continue;
    }
    const size_t close = message.find('}', i);
    if (close == std::string_view::npos) DieBadTemplate(message, "unclosed {");
    const std::string_view name = message.substr(i + 1, close - i - 1);
    const auto* found = std::find_if(std::begin(kSlotNames), std::end(kSlotNames),
                                     [&](const SlotName& s) { return s.name == name; });
    if (found == std::end(kSlotNames)) {
      DieBadTemplate(message, absl::StrCat("unknown {", std::string(name), "}"));
    }
    pieces.push_back({JsonEscape(literal), found->slot});
    literal.clear();
    i = close + 1;
  }
  pieces.push_back({JsonEscape(literal), Slot::kNone});
  return pieces;
}

CatalogTables BuildTables() {
  CatalogTables t;
  static constexpr std::string_view kDomainNames[kDomainUsers] = {
      "alice", "bob",  "carol",   "dave",  "erin",  "frank", "grace",  "heidi",
      "ivan",  "judy", "mallory", "oscar", "peggy", "trent", "victor", "walter"};
  for (int i = 0; i < kDomainUsers; ++i) {
    const std::string_view name = kDomainNames[i];
    t.users.push_back({JsonEscape(absl::StrCat("CORP\\", std::string(name))), std::string(name),
                       "CORP", absl::StrCat("S-1-5-21-3623811015-3361044348-30300820-", 1104 + i)});
  }
  static constexpr std::string_view kAdminNames[kAdminUsers] = {"Administrator", "adm_alice",
                                                                "adm_jdoe", "svc_backup"};
  for (int i = 0; i < kAdminUsers; ++i) {
    const std::string_view name = kAdminNames[i];
    t.users.push_back(
        {JsonEscape(absl::StrCat("CORP\\", std::string(name))), std::string(name), "CORP",
         absl::StrCat("S-1-5-21-3623811015-3361044348-30300820-", i == 0 ? 500 : 1200 + i)});
  }
  // SYSTEM twice: it owns most service-side events.
  t.users.push_back({"SYSTEM", "SYSTEM", "NT AUTHORITY", "S-1-5-18"});
  t.users.push_back({"SYSTEM", "SYSTEM", "NT AUTHORITY", "S-1-5-18"});
  t.users.push_back({"NETWORK SERVICE", "NETWORK SERVICE", "NT AUTHORITY", "S-1-5-20"});
  t.users.push_back({"LOCAL SERVICE", "LOCAL SERVICE", "NT AUTHORITY", "S-1-5-19"});

  const std::pair<std::string_view, std::string_view> processes[] = {
      {"C:\\Windows\\System32\\cmd.exe", "\"C:\\Windows\\System32\\cmd.exe\" /c \"whoami /all\""},
      {"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
       "powershell.exe -NoProfile -Command \"Get-Service | Where-Object {$_.Status -eq "
       "'Running'}\""},
      {"C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE"},
      {"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
       "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer "
       "--lang=en-US"},
      {"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
       "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" "
       "\"\\\\fs01\\finance\\Q3 report.xlsx\""},
      {"C:\\Windows\\System32\\svchost.exe",
       "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule"},
      {"C:\\Windows\\System32\\conhost.exe",
       "\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1"},
      {"C:\\Windows\\System32\\net.exe", "net user \"svc_backup\" /domain"},
  };
  for (const auto& [path, command_line] : processes) {
    t.processes.push_back({JsonEscape(path), JsonEscape(command_line)});
  }

  for (std::string_view service :
       {"Windows Update", "Windows Error Reporting", "Print Spooler",
        "Background Intelligent Transfer Service", "Microsoft Defender Antivirus Service",
        "Remote Registry", "DHCP Client", "Windows Time"}) {
    t.services.push_back(JsonEscape(service));
  }
  t.states = {"running", "stopped"};

  const std::pair<std::string_view, std::string_view> installed[] = {
      {"Contoso Backup Agent", "\"C:\\Program Files\\Contoso\\Backup\\agent.exe\" --service"},
      {"Sysmon64", "C:\\Windows\\Sysmon64.exe"},
      {"PSEXESVC", "%SystemRoot%\\PSEXESVC.exe"},
      {"Zabbix Agent 2",
       "\"C:\\Program Files\\Zabbix Agent 2\\zabbix_agent2.exe\" -c \"C:\\Program Files\\Zabbix "
       "Agent 2\\zabbix_agent2.conf\""},
  };
  for (const auto& [name, path] : installed) {
    t.installed_services.push_back({JsonEscape(name), JsonEscape(path)});
  }

  const AppEntry apps[] = {
      {"EXCEL.EXE", "16.0.17029.20108",
       "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", "mso20win32client.dll"},
      {"chrome.exe", "120.0.6099.130", "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
       "chrome.dll"},
      {"Teams.exe", "1.6.0.33567", "C:\\Users\\Public\\AppData\\Local\\Microsoft\\Teams\\Teams.exe",
       "KERNELBASE.dll"},
      {"OUTLOOK.EXE", "16.0.17029.20108",
       "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", "ntdll.dll"},
      {"notepad++.exe", "8.6.0.0", "C:\\Program Files\\Notepad++\\notepad++.exe", "ucrtbase.dll"},
      {"java.exe", "17.0.9.0", "C:\\Program Files\\Java\\jdk-17\\bin\\java.exe", "jvm.dll"},
  };
  for (const AppEntry& app : apps) {
    t.apps.push_back({JsonEscape(app.name), JsonEscape(app.version), JsonEscape(app.path),
                      JsonEscape(app.module)});
  }

  const ProductEntry products[] = {
      {"Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.38.33130", "14.38.33130.0",
       "Microsoft Corporation"},
      {"Google Chrome", "120.0.6099.130", "Google LLC"},
      {"7-Zip 23.01 (x64 edition)", "23.01.00.0", "Igor Pavlov"},
      {"Contoso \"Insight\" Agent", "3.2.1", "Contoso, Ltd."},
      {"Zabbix Agent 2 (64-bit)", "6.4.10.2400", "Zabbix SIA"},
      {"Microsoft Teams Meeting Add-in for Microsoft Office", "1.23.33413", "Microsoft"},
  };
  for (const ProductEntry& product : products) {
    t.products.push_back(
        {JsonEscape(product.name), JsonEscape(product.version), JsonEscape(product.vendor)});
  }

  t.dns_names = {"wpad.corp.example.com",
                 "fs01.corp.example.com",
                 "update.contoso.com",
                 "login.microsoftonline.com",
                 "intranet",
                 "printer-3f.corp.example.com"};
  t.new_accounts = {"j.smith", "temp_admin", "svc_deploy", "k.tanaka", "contractor01", "test.user"};
  // Interactive, network (most common), batch, service, unlock, remote interactive, cached.
  t.logon_types = {"2", "3", "3", "3", "4", "5", "7", "10"};
  return t;
}

template <typename T, typename F>
size_t MaxOf(const std::vector<T>& items, F field) {
  size_t max = 0;
  for (const T& item : items) max = std::max(max, field(item).size());
  return max;
}

}  // namespace

std::string JsonEscape(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (const char c : raw) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += absl::StrFormat("\\u%04x", static_cast<unsigned char>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

const EventCatalog& EventCatalog::Get() {
  static const EventCatalog* const catalog = new EventCatalog();
  return *catalog;
}

EventCatalog::EventCatalog()
    : tables_(BuildTables()),
      user_ranges_{{0, kDomainUsers},
                   {kDomainUsers, kAdminUsers},
                   {kDomainUsers + kAdminUsers, kServiceUsers},
                   {0, kDomainUsers + kAdminUsers + kServiceUsers}} {
  static_assert(
      static_cast<int>(UserClass::kDomain) == 0 && static_cast<int>(UserClass::kAdmin) == 1 &&
      static_cast<int>(UserClass::kService) == 2 && static_cast<int>(UserClass::kAny) == 3);
  size_t max_user =
      MaxOf(tables_.users, [](const UserEntry& u) -> const std::string& { return u.user; });
  size_t max_message = 0;
  for (const KindSpec& spec : kKindSpecs) {
    EventKind kind{spec.source,
                   spec.level,
                   spec.event_id,
                   spec.user_class,
                   spec.weight,
                   absl::StrCat("\",\"source\":\"", std::string(spec.source), "\",\"level\":\"",
                                std::string(spec.level), "\",\"event_id\":", spec.event_id,
                                ",\"computer\":\""),
                   CompileTemplate(spec.message)};
    size_t message_bytes = 0;
    for (const MessagePiece& piece : kind.message) {
      message_bytes += piece.text.size() + MaxSlotBytes(piece.slot);
    }
    max_message = std::max(max_message, kind.head.size() + message_bytes);
    for (int w = 0; w < spec.weight; ++w) pick_.push_back(static_cast<uint8_t>(kinds_.size()));
    kinds_.push_back(std::move(kind));
  }
  max_line_bytes_ = kFramingBytes + max_user + max_message;
}

size_t EventCatalog::MaxSlotBytes(Slot slot) const {
  const CatalogTables& t = tables_;
  auto str = [](const std::string& s) -> const std::string& { return s; };
  switch (slot) {
    case Slot::kNone:
      return 0;
    case Slot::kUser:
      return MaxOf(
          t.users, [](const UserEntry& u) -> auto& { return u.user; });
    case Slot::kAccount:
      return MaxOf(
          t.users, [](const UserEntry& u) -> auto& { return u.account; });
    case Slot::kDomain:
      return MaxOf(
          t.users, [](const UserEntry& u) -> auto& { return u.domain; });
    case Slot::kSid:
      return MaxOf(
          t.users, [](const UserEntry& u) -> auto& { return u.sid; });
    case Slot::kHost:
      return 8;  // "SRV-0001"
    case Slot::kProcess:
      return MaxOf(
          t.processes, [](const ProcessEntry& p) -> auto& { return p.path; });
    case Slot::kCommandLine:
      return MaxOf(
          t.processes, [](const ProcessEntry& p) -> auto& { return p.command_line; });
    case Slot::kPid:
      return 6;  // "0x1a2c"
    case Slot::kService:
      return MaxOf(t.services, str);
    case Slot::kState:
      return MaxOf(t.states, str);
    case Slot::kInstalledService:
      return MaxOf(
          t.installed_services, [](const InstalledServiceEntry& s) -> auto& { return s.name; });
    case Slot::kInstalledServicePath:
      return MaxOf(
          t.installed_services, [](const InstalledServiceEntry& s) -> auto& { return s.path; });
    case Slot::kApp:
      return MaxOf(
          t.apps, [](const AppEntry& a) -> auto& { return a.name; });
    case Slot::kAppVersion:
      return MaxOf(
          t.apps, [](const AppEntry& a) -> auto& { return a.version; });
    case Slot::kAppPath:
      return MaxOf(
          t.apps, [](const AppEntry& a) -> auto& { return a.path; });
    case Slot::kModule:
      return MaxOf(
          t.apps, [](const AppEntry& a) -> auto& { return a.module; });
    case Slot::kHex:
      return 8;
    case Slot::kOffset:
      return 18;  // "0x" and 16 hex digits
    case Slot::kBucket:
      return 10;
    case Slot::kProduct:
      return MaxOf(
          t.products, [](const ProductEntry& p) -> auto& { return p.name; });
    case Slot::kProductVersion:
      return MaxOf(
          t.products, [](const ProductEntry& p) -> auto& { return p.version; });
    case Slot::kVendor:
      return MaxOf(
          t.products, [](const ProductEntry& p) -> auto& { return p.vendor; });
    case Slot::kLogonType:
      return MaxOf(t.logon_types, str);
    case Slot::kIp:
      return 15;
    case Slot::kDnsName:
      return MaxOf(t.dns_names, str);
    case Slot::kNewAccount:
      return MaxOf(t.new_accounts, str);
  }
  return 0;
}

}  // namespace ec::producer
