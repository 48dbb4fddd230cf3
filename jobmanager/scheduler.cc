// Slot placement and deployment, rescaling and the reactive mode.
#include "jobmanager/scheduler.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "jobmanager/job_state_machine.h"
#include "jobmanager/state_assignment.h"
#include "operators/registry.h"
#include "runtime/logging.h"
#include "runtime/state/subtask_state.h"

namespace ec {

Scheduler::Scheduler(Options options, TaskManagerRegistry& registry, Hooks hooks)
    : options_(options), registry_(registry), hooks_(std::move(hooks)) {}

void Scheduler::ScheduleJobs(std::map<std::string, Job>& jobs, absl::Time now) {
  for (auto& [id, job] : jobs) {
    if (job.state != proto::CREATED || !job.executions.empty()) continue;
    if (TryDeploy(job)) continue;
    if (now - job.submitted > job.spec.slot_timeout) {
      const int needed = job.graph.max_vertex_parallelism();
      hooks_.fail_job(
          job, /*retryable=*/false,
          absl::StrCat(needed == 1 ? std::string("no free slot")
                                   : absl::StrCat("not ", needed, " free slots (one a subtask)"),
                       " within slot-timeout ", absl::FormatDuration(job.spec.slot_timeout), " (",
                       registry_.size(), " TaskManagers registered, ", registry_.FreeSlots(),
                       " slots free)"));
    }
  }
}

bool Scheduler::TryDeploy(Job& job) {
  if (options_.reactive) {
    // As many subtasks as there are free slots, up to the max parallelism.
    const int target = std::min(job.spec.max_parallelism, registry_.FreeSlots());
    if (target < 1) return false;
    if (target != job.spec.parallelism) {
      if (auto s = SetParallelism(job, target); !s.ok()) {
        Logger("jobmanager")
            ->warn("job={} reactive parallelism {}: {}", job.id, target, s.message());
      }
    }
  }
  // All subtasks or none: a job missing a subtask makes no progress and takes checkpoints never.
  const int slots = job.graph.max_vertex_parallelism();
  if (registry_.FreeSlots() < slots) return false;
  ++job.attempt;
  job.rescaling = false;
  const int parallelism = job.spec.parallelism;
  if (!job.latest_state.state.empty()) {
    job.restored_checkpoint = proto::CheckpointStats();
    job.restored_checkpoint.set_id(job.latest_checkpoint.id());
    job.restored_checkpoint.set_status("RESTORED");
    job.restored_checkpoint.set_savepoint(job.latest_checkpoint.id() == 0 ||
                                          job.latest_state.base_dir != hooks_.checkpoint_dir(job.id));
    job.restored_checkpoint.set_end_time_ms(absl::ToUnixMillis(absl::Now()));
    job.restored_checkpoint.set_path(job.latest_checkpoint.path());
    Logger("jobmanager")
        ->info("job={} restoring from ckpt={} (0: a savepoint given at submit){}", job.id,
               job.latest_checkpoint.id(),
               job.latest_state.parallelism == parallelism
                   ? ""
                   : absl::StrCat(
                         ", taken at parallelism ", job.latest_state.parallelism,
                         ": operator state is unioned, keyed state split by key-group ranges"));
  }
  std::vector<const TaskManagerRegistry::Entry*> slot_tm = TakeSlots(slots);
  int widest = 0;  // the vertex whose executions hold the slots
  for (const JobVertex& v : job.graph.vertices) {
    if (v.parallelism > job.graph.vertices[widest].parallelism) widest = v.id;
  }
  job.executions.clear();
  std::vector<std::string> placement;
  for (const JobVertex& v : job.graph.vertices) {
    for (int subtask = 0; subtask < v.parallelism; ++subtask) {
      const TaskManagerRegistry::Entry* tm = slot_tm[subtask];
      Execution e;
      e.id.set_job_id(job.id);
      e.id.set_vertex(v.id);
      e.id.set_subtask(subtask);
      e.id.set_attempt(job.attempt);
      e.taskmanager_id = tm->info.id();
      e.holds_slot = v.id == widest;
      proto::DeployTaskRequest request = DeployRequest(job, v, e.id, slot_tm);
      placement.push_back(absl::StrCat(v.id, ".", subtask, "->", tm->info.id()));
      std::shared_ptr<TaskManagerGateway> gateway = tm->gateway;
      const std::string tm_id = tm->info.id();
      hooks_.enqueue([deploy_failed = hooks_.deploy_failed, gateway, request, tm_id] {
        if (auto s = gateway->DeployTask(request); !s.ok()) {
          deploy_failed(request.task(), tm_id, s);
        }
      });
      job.executions.push_back(std::move(e));
    }
  }
  Logger("jobmanager")
      ->info("job={} deploying attempt {}: {} task(s) in {} slot(s): {}", job.id, job.attempt,
             job.executions.size(), slots, absl::StrJoin(placement, ", "));
  return true;
}

std::vector<const TaskManagerRegistry::Entry*> Scheduler::TakeSlots(int slots) {
  // Slot k runs subtask k of every vertex (Flink's slot sharing); slots are spread out, like
  // Flink's cluster.evenly-spread-out-slots: each goes to the TaskManager with the most free
  // slots at that moment; among equals, to the one with the fewest of this job's slots so far.
  std::vector<const TaskManagerRegistry::Entry*> slot_tm;
  std::map<std::string, int> placed;
  for (int k = 0; k < slots; ++k) {
    const TaskManagerRegistry::Entry* best = nullptr;
    for (const auto& [tm_id, tm] : registry_.entries()) {
      const int free = tm.info.slots() - tm.used_slots;
      if (free <= 0) continue;
      const int best_free = best ? best->info.slots() - best->used_slots : 0;
      if (!best || free > best_free ||
          (free == best_free && placed[tm_id] < placed[best->info.id()])) {
        best = &tm;
      }
    }
    placed[best->info.id()]++;
    registry_.TakeSlot(best->info.id());
    slot_tm.push_back(best);
  }
  return slot_tm;
}

proto::DeployTaskRequest Scheduler::DeployRequest(
    const Job& job, const JobVertex& v, const proto::TaskId& task,
    const std::vector<const TaskManagerRegistry::Entry*>& slot_tm) const {
  const int parallelism = job.spec.parallelism;
  const bool restore = !job.latest_state.state.empty();
  const int subtask = task.subtask();
  std::set<std::string> names, union_operators;
  for (int op : v.operators) {
    const OperatorSpec& spec = job.spec.pipeline[op];
    names.insert(spec.name);
    if (TraitsOf(spec.type).union_state) union_operators.insert(spec.name);
  }
  const std::string keyed = KeyedStateName(job.spec.pipeline[v.operators[0]].name);
  const bool last = v.id + 1 == static_cast<int>(job.graph.vertices.size());
  proto::DeployTaskRequest request;
  request.set_jobmanager_epoch(options_.epoch);
  *request.mutable_task() = task;
  request.set_job_name(job.spec.name);
  request.set_job_spec_json(job.spec_json);
  for (int op : v.operators) request.add_chain(op);
  request.set_parallelism(v.parallelism);
  if (v.id > 0) request.set_input_parallelism(job.graph.vertices[v.id - 1].parallelism);
  if (!last) {
    const JobVertex& next = job.graph.vertices[v.id + 1];
    proto::ExchangeOutput* out = request.mutable_output();
    out->set_partitioning(next.input);
    for (const auto& f : next.key_fields) out->add_key_fields(f);
    for (int c = 0; c < next.parallelism; ++c) {
      out->add_consumer_addresses(slot_tm[c]->info.data_address());
    }
  }
  request.set_checkpoint_dir(hooks_.checkpoint_dir(job.id));
  if (restore) {
    request.set_restore_checkpoint_id(job.latest_checkpoint.id());
    ParsedStateKey key;
    for (auto& [name, bytes] : AssignState(job.latest_state, parallelism, v.parallelism, subtask,
                                                union_operators)) {
      // Only this chain's entries: its operators' and its keyed state.
      if (!ParseSubtaskStateKey(name, &key) || (!names.count(key.op) && key.op != keyed)) {
        continue;
      }
      (*request.mutable_restore_state())[name] = std::move(bytes);
    }
    request.set_restore_dir(job.latest_state.base_dir);
  }
  return request;
}

absl::Status Scheduler::SetParallelism(Job& job, int parallelism) {
  JobSpec spec = job.spec;
  spec.parallelism = parallelism;
  auto graph = BuildJobGraph(spec, TraitsOf);
  if (!graph.ok()) return graph.status();
  job.spec = std::move(spec);
  job.graph = *std::move(graph);
  job.spec_json = job.spec.ToJson().dump();
  hooks_.persist(job);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> Scheduler::StartRescale(Job& job, int parallelism) {
  if (parallelism < 1 || parallelism > job.spec.max_parallelism) {
    return absl::InvalidArgumentError(absl::StrCat("parallelism: expected 1 to max-parallelism (",
                                                   job.spec.max_parallelism, "), got ",
                                                   parallelism));
  }
  if (job.state != proto::RUNNING) {
    return absl::FailedPreconditionError(
        absl::StrCat("job ", job.id, " is ", JobStateName(job.state), "; rescaling needs RUNNING"));
  }
  if (job.rescale_to || job.rescaling) {
    return absl::FailedPreconditionError(absl::StrCat("job ", job.id, " is already rescaling"));
  }
  if (job.pending_checkpoint) return absl::UnavailableError("a checkpoint is in flight");
  // Checked now, so that the stop below is never for a graph that cannot be built.
  JobSpec probe = job.spec;
  probe.parallelism = parallelism;
  if (auto graph = BuildJobGraph(probe, TraitsOf); !graph.ok()) return graph.status();
  Logger("jobmanager")
      ->info("job={} rescaling from parallelism {} to {}", job.id, job.spec.parallelism,
             parallelism);
  job.rescale_to = parallelism;
  job.rescale_checkpoint = job.next_checkpoint_id;
  // Like stop-with-savepoint: the sources stop after the checkpoint, everything downstream
  // finishes after its barrier, so nothing after the checkpoint is processed twice.
  hooks_.trigger_checkpoint(job, /*stop=*/true);
  return job.rescale_checkpoint;
}

void Scheduler::OnCheckpointComplete(Job& job, int64_t checkpoint_id) {
  if (checkpoint_id == job.rescale_checkpoint && job.rescale_to) {
    // The tasks finish now; once all have, the job is redeployed at the new parallelism.
    if (auto s = SetParallelism(job, job.rescale_to); !s.ok()) {
      Logger("jobmanager")->error("job={} rescale failed: {}", job.id, s.message());
    }
    job.rescale_to = 0;
    job.rescaling = true;
  }
}

void Scheduler::GrowReactiveJobs(std::map<std::string, Job>& jobs) {
  for (auto& [id, job] : jobs) {
    const int free = registry_.FreeSlots();
    if (free <= 0) return;
    if (job.state != proto::RUNNING || job.rescale_to || job.rescaling) continue;
    const int target = std::min(job.spec.max_parallelism, job.spec.parallelism + free);
    if (target <= job.spec.parallelism || job.pending_checkpoint) continue;
    if (auto s = StartRescale(job, target); !s.ok()) {
      Logger("jobmanager")
          ->warn("job={} reactive rescale to {}: {}", id, target, s.status().message());
    }
  }
}

}  // namespace ec
