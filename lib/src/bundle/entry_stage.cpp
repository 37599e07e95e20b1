#include "bundle/entry_stage.h"

#include <algorithm>

namespace custos::bundle {

EntryStage::EntryStage(ExtractSink* sink, bool threaded, std::size_t files)
    : sink_(sink), threaded_(threaded) {
  digests_.reserve(files);
  cur_.data.reserve(kBatchBytes);
  cur_.commands.reserve(kBatchCommands);
  if (!threaded_) return;
  for (std::size_t i = 1; i < kBatches; ++i) {
    Batch& b = free_.emplace_back();
    b.data.reserve(kBatchBytes);
    b.commands.reserve(kBatchCommands);
  }
  worker_ = std::thread([this] { Run(); });
}

EntryStage::~EntryStage() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    full_.clear();  // never applied: the caller is abandoning the read
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Status EntryStage::Apply(Batch& b) {
  for (const Command& c : b.commands) {
    switch (c.kind) {
      case Kind::kDirectory:
        if (sink_ != nullptr)
          CUSTOS_TRY(sink_->MakeDirectory(*static_cast<const v1::DirectoryEntry*>(c.entry)));
        break;
      case Kind::kBegin:
        if (sink_ != nullptr) CUSTOS_TRY(sink_->BeginFile(*static_cast<const v1::FileEntry*>(c.entry)));
        break;
      case Kind::kData: {
        std::span<const std::uint8_t> d(b.data.data() + c.offset, c.size);
        hash_.Update(d);
        if (sink_ != nullptr) CUSTOS_TRY(sink_->FileData(d));
        break;
      }
      case Kind::kEnd:
        digests_.push_back(hash_.Finish());
        if (sink_ != nullptr) CUSTOS_TRY(sink_->EndFile());
        break;
    }
  }
  b.commands.clear();
  b.data.clear();
  return Ok();
}

void EntryStage::Run() {
  for (;;) {
    Batch b;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return !full_.empty() || stop_; });
      if (full_.empty()) return;
      b = std::move(full_.front());
      full_.pop_front();
      if (failed_) {
        b.commands.clear();
        b.data.clear();
      }
    }
    Status st = Apply(b);
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!st.ok() && !failed_) {
        error_ = std::move(st);
        failed_ = true;
      }
      b.commands.clear();
      b.data.clear();
      free_.push_back(std::move(b));
    }
    cv_.notify_all();
  }
}

Status EntryStage::Hand() {
  if (!threaded_) {
    if (failed_) return error_;
    Status st = Apply(cur_);
    if (!st.ok()) {
      failed_ = true;
      error_ = st;
    }
    return st;
  }
  std::unique_lock<std::mutex> l(mu_);
  if (failed_) return error_;
  full_.push_back(std::move(cur_));
  cv_.notify_all();
  cv_.wait(l, [&] { return !free_.empty() || failed_; });
  if (failed_) return error_;
  cur_ = std::move(free_.front());
  free_.pop_front();
  return Ok();
}

Status EntryStage::Push(Command c) {
  if (cur_.commands.size() >= kBatchCommands) CUSTOS_TRY(Hand());
  cur_.commands.push_back(c);
  return Ok();
}

Status EntryStage::Directory(const v1::DirectoryEntry& dir) {
  return Push({Kind::kDirectory, &dir});
}

Status EntryStage::BeginFile(const v1::FileEntry& file) { return Push({Kind::kBegin, &file}); }

Status EntryStage::Data(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    if (cur_.data.size() == kBatchBytes || cur_.commands.size() >= kBatchCommands)
      CUSTOS_TRY(Hand());
    const std::size_t n = std::min(data.size(), kBatchBytes - cur_.data.size());
    if (!cur_.commands.empty() && cur_.commands.back().kind == Kind::kData) {
      cur_.commands.back().size += n;
    } else {
      cur_.commands.push_back({Kind::kData, nullptr, cur_.data.size(), n});
    }
    cur_.data.insert(cur_.data.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
    data = data.subspan(n);
  }
  return Ok();
}

Status EntryStage::EndFile() { return Push({Kind::kEnd}); }

Status EntryStage::Finish() {
  if (!cur_.commands.empty()) CUSTOS_TRY(Hand());
  if (!threaded_) return failed_ ? error_ : Ok();
  {
    std::unique_lock<std::mutex> l(mu_);
    // Every batch is back in free_ once the worker has applied it.
    cv_.wait(l, [&] { return free_.size() == kBatches - 1 || failed_; });
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  if (failed_) return error_;
  return Ok();
}

}  // namespace custos::bundle
