// JsonParseEventMap: json-parse and windows-event-map fused, so each record is parsed once.
#pragma once

#include <memory>
#include <string>

#include "operators/operator.h"
#include "operators/transforms/json_parse.h"
#include "operators/transforms/windows_event_map.h"

namespace ec {

// Takes json-parse's place in a chain where windows-event-map comes right after it (CreateChain
// sets it up) and does the work of both: one on-demand pass over each record validates it as
// json-parse would and maps it. A record that pass does not accept goes through the two steps
// exactly as they run unfused (json-parse's DOM check, then the map), so what users see is the
// same: the same output bytes, and a rejected record is written once, to the dead-letter output
// of the step that rejects it, and counted there.
//
// The map stays in the chain after this operator with its own context, dead-letter output and
// hooks; only its ProcessBatch is not called (FusedSuccessors() is 1). Owned by the task, used
// from its thread; `map` must outlive it.
class JsonParseEventMap : public Operator {
 public:
  JsonParseEventMap(std::unique_ptr<JsonParse> parse, WindowsEventMap* map);

  absl::Status Open(OperatorContext& ctx) override;
  absl::Status ProcessBatch(const RecordBatch& in, RecordBatch& out) override;
  absl::Status Tick() override { return parse_->Tick(); }
  absl::Status Flush(absl::Time deadline) override { return parse_->Flush(deadline); }
  absl::Status Close() override { return parse_->Close(); }
  absl::Status SnapshotState(int64_t checkpoint_id, std::string* state) override {
    return parse_->SnapshotState(checkpoint_id, state);
  }
  absl::Status RestoreState(std::string_view state) override { return parse_->RestoreState(state); }
  absl::Status NotifyCheckpointComplete(int64_t checkpoint_id) override {
    return parse_->NotifyCheckpointComplete(checkpoint_id);
  }

  size_t FusedSuccessors() const override { return 1; }
  // Step 0 passes on the records json-parse accepts in the last batch, to the map.
  RecordCount PassedOn(size_t step) const override { return step == 0 ? parsed_ : RecordCount{}; }

 private:
  std::unique_ptr<JsonParse> parse_;
  WindowsEventMap* map_;
  RecordCount parsed_;
  std::string scratch_;
};

}  // namespace ec
