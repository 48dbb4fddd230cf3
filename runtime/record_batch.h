// RecordBatch: the unit operators exchange — many records packed in one reusable buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ec {

// A batch of byte records (one NDJSON line each, without the newline) packed back to back in
// one buffer. Clear() keeps the capacity, so a chain that reuses its batches allocates nothing
// per record once warmed up. Not thread-safe: a batch belongs to the task thread that fills it.
class RecordBatch {
 public:
  RecordBatch() { ends_.reserve(1024); }

  void Clear() {
    data_.clear();
    ends_.clear();
  }
  bool empty() const { return ends_.empty(); }
  size_t size() const { return ends_.size(); }
  size_t bytes() const { return data_.size(); }

  std::string_view operator[](size_t i) const {
    size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }

  void Append(std::string_view record) {
    data_.append(record);
    ends_.push_back(static_cast<uint32_t>(data_.size()));
  }

  // For writers that build a record in place: append bytes to buffer(), then Commit().
  std::string& buffer() { return data_; }
  void Commit() { ends_.push_back(static_cast<uint32_t>(data_.size())); }
  // Drops bytes appended to buffer() since the last Commit().
  void Rollback() { data_.resize(ends_.empty() ? 0 : ends_.back()); }

  // Read-only view of all records; simdjson needs padding past the end, which reserve() gives.
  const std::string& data() const { return data_; }

  // The packed form, for the network layer, which sends and receives a batch as these two
  // arrays without touching single records: ends()[i] is one past the last byte of record i.
  const std::vector<uint32_t>& ends() const { return ends_; }
  // A decoder that fills data and ends directly must leave ends ascending, the last equal to
  // bytes(); runtime/network/frame.cc checks received batches before handing them on.
  std::vector<uint32_t>& mutable_ends() { return ends_; }

 private:
  std::string data_;
  std::vector<uint32_t> ends_;
};

}  // namespace ec
