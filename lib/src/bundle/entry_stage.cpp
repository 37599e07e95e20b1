#include "bundle/entry_stage.h"

#include <algorithm>

#include "bundle/limits.h"

namespace custos::bundle {

std::vector<EntryStage::Batch> EntryStage::Spares(bool threaded) {
  std::vector<Batch> v(threaded ? kBatches - 1 : 0);
  for (Batch& b : v) {
    b.data.reserve(kBatchBytes);
    b.commands.reserve(kBatchCommands);
  }
  return v;
}

EntryStage::EntryStage(ExtractSink* sink, bool threaded, std::size_t files)
    : sink_(sink),
      worker_([this](Batch& b) { return Apply(b); },
              [](Batch& b) {
                b.commands.clear();
                b.data.clear();
              },
              Spares(threaded), threaded) {
  digests_.reserve(files);
  cur_.data.reserve(kBatchBytes);
  cur_.commands.reserve(kBatchCommands);
}

EntryStage::~EntryStage() = default;

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
  return Ok();
}

Status EntryStage::Push(Command c) {
  if (cur_.commands.size() >= kBatchCommands) CUSTOS_TRY(worker_.Hand(cur_));
  cur_.commands.push_back(c);
  return Ok();
}

Status EntryStage::Directory(const v1::DirectoryEntry& dir) {
  return Push({Kind::kDirectory, &dir});
}

Status EntryStage::BeginFile(const v1::FileEntry& file) {
  // A large file's data starts a batch of its own: its 1 MiB batches are then
  // at 1 MiB offsets of the file, aligned for O_DIRECT.
  if (file.size() >= kDirectIoFrom && !cur_.data.empty()) CUSTOS_TRY(worker_.Hand(cur_));
  return Push({Kind::kBegin, &file});
}

Status EntryStage::Data(std::span<const std::uint8_t> data) {
  while (!data.empty()) {
    if (cur_.data.size() == kBatchBytes || cur_.commands.size() >= kBatchCommands)
      CUSTOS_TRY(worker_.Hand(cur_));
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
  if (!cur_.commands.empty()) CUSTOS_TRY(worker_.Hand(cur_));
  return worker_.Finish();
}

}  // namespace custos::bundle
