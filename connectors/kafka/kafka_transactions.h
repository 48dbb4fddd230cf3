// The exactly-once Kafka sink's two-phase commit, the parts that are pure logic: its pool of
// transactional ids, what a checkpoint records of its pre-committed transactions, and how a
// restored pre-committed transaction is judged from what its coordinator says of it now.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/kafka/kafka_protocol_client.h"

namespace ec {

// A transaction flushed (every record acknowledged) and left open at a checkpoint: it is
// committed when that checkpoint completes, or on restore from it.
struct PreCommittedTransaction {
  int64_t checkpoint_id = 0;
  std::string transactional_id;
  int64_t producer_id = -1;
  int16_t producer_epoch = -1;
  int64_t start_time_ms = -1;  // as its coordinator describes it: tells it from later ones
  int64_t records = 0;         // for messages only
};

// One sink subtask's state in a checkpoint.
struct KafkaSinkState {
  std::string prefix;  // of its pool's transactional ids
  int subtask = 0;
  int pool_size = 0;  // transactional ids <prefix>-<subtask>-0 .. pool_size-1 may be in use
  std::vector<PreCommittedTransaction> pending;  // oldest checkpoint first
};

std::string EncodeKafkaSinkState(const KafkaSinkState& state);
// InvalidArgument naming what is wrong when `bytes` is not a state EncodeKafkaSinkState wrote.
absl::StatusOr<KafkaSinkState> DecodeKafkaSinkState(std::string_view bytes);

// The transactional id of slot `slot` of subtask `subtask`'s pool: "<prefix>-<subtask>-<slot>".
std::string PoolTransactionalId(const std::string& prefix, int subtask, int slot);

// What to do with a restored pre-committed transaction, from its coordinator's description.
enum class RecoveryVerdict {
  kCommit,            // still open, same producer and start: commit it now (EndTxn)
  kAlreadyCommitted,  // committed before (a later transaction, or its commit, is visible)
  kLost,              // aborted (by the broker's transaction timeout) or forgotten
};
struct RecoveryJudgement {
  RecoveryVerdict verdict;
  std::string reason;  // for the log and, when lost, the job's failure
  // kCommit: when its coordinator may abort it for its timeout (start + timeout, broker ms).
  int64_t expires_ms = -1;
};
// `described` is DescribeTransaction's answer for `txn.transactional_id`. Sound because the
// sink reuses or re-initialises a transactional id only after its pre-committed transaction
// was committed (or after a restore decided it lost, which retires that checkpoint for good).
RecoveryJudgement JudgeRecoveredTransaction(
    const PreCommittedTransaction& txn, const absl::StatusOr<TransactionDescription>& described);

// The restore's decision for a whole sink operator, taken by each subtask from the judgements
// of every restored pre-committed transaction of every subtask (union state) before any of them
// is committed. Kafka cannot commit several transactions atomically; what this prevents is the
// partial commit of the old per-subtask decision, where one subtask committed its transaction
// while another's was aborted by the broker, and the fallback to an older checkpoint then wrote
// the committed one's records twice.
//  - Nothing committed yet and any transaction lost, or expiring within `margin` of `now_ms`
//    (it could be aborted before every subtask's commit is through): commit none; the restore
//    is a lost checkpoint (the oldest such transaction's), the job falls back to an older
//    checkpoint whose restore fences (aborts) these transactions, and replays. Nothing written
//    twice, nothing lost.
//  - Otherwise commit every transaction judged kCommit. When one was committed already (the
//    crash came in the middle of the commit phase) and another is lost, the committed output
//    cannot be taken back: the restore is still a lost checkpoint (records are never lost
//    silently), and the replay duplicates the committed part; `reason` says so.
struct RestoreDecision {
  bool commit = true;
  int64_t lost_checkpoint = 0;  // when !commit
  std::string reason;           // when !commit: for the log and the job's failure
};
RestoreDecision DecideRestore(const std::vector<RecoveryJudgement>& judged,
                              const std::vector<PreCommittedTransaction>& txns, int64_t now_ms,
                              absl::Duration margin);
// The margin DecideRestore leaves before a transaction's expiry: a tenth of the transaction
// timeout, between 1 and 30 seconds (every subtask's commits of a restore take milliseconds).
absl::Duration RestoreCommitMargin(absl::Duration transaction_timeout);

// The commit (EndTxn) of a restored transaction judged kCommit was refused with `refusal`, and
// refused again after a fresh description still said to commit it. INVALID_PRODUCER_ID_MAPPING
// or UNKNOWN_PRODUCER_ID: its coordinator no longer knows that producer id for the id (e.g.
// after transactional.id.expiration.ms), so no later attempt can commit it either: kLost, and
// the JobManager falls back to an older checkpoint rather than restarting into the same
// refusal forever (Flink's restart loop on InvalidPidMappingException). Anything else:
// nullopt, an error for the task (a restart judges the transaction again).
std::optional<RecoveryJudgement> JudgeRefusedCommit(const PreCommittedTransaction& txn,
                                                    const absl::Status& refusal);

}  // namespace ec
