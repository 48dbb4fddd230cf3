// --KEY VALUE job arguments.
#include "runtime/util/job_arguments.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ec {

absl::StatusOr<JobArguments> ParseJobArguments(const std::vector<std::string>& args) {
  JobArguments out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "--") || arg.size() < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "': job parameters are --KEY VALUE"));
    }
    std::string key = arg.substr(2);
    std::string value;
    if (auto eq = key.find('='); eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("job parameter --", key, " needs a value"));
    }
    if (key == "from-savepoint") {
      out.from_savepoint = value;
    } else {
      out.parameters[key] = value;
    }
  }
  return out;
}

}  // namespace ec
