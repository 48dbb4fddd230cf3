// ChannelId formatting.
#include "runtime/network/channel_id.h"

#include "absl/strings/str_cat.h"

namespace ec {

std::string ChannelId::ToString() const {
  return absl::StrCat("job=", job_id, " attempt=", attempt, " channel=", producer_vertex, ".",
                      producer_subtask, "->", consumer_vertex, ".", consumer_subtask);
}

}  // namespace ec
