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

std::vector<OrderedWorker<EntryStage::Batch>::Apply> EntryStage::Applies(bool write) {
  std::vector<OrderedWorker<Batch>::Apply> v;
  v.emplace_back([this](Batch& b) { return Hash(b); });
  if (write) v.emplace_back([this](Batch& b) { return Write(b); });
  return v;
}

EntryStage::EntryStage(ExtractSink* sink, bool threaded, std::size_t files)
    : sink_(sink),
      worker_(Applies(sink != nullptr),
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

Status EntryStage::Hash(Batch& b) {
  for (const Command& c : b.commands) {
    if (c.kind == Kind::kData) {
      hash_.Update({b.data.data() + c.offset, c.size});
    } else if (c.kind == Kind::kEnd) {
      digests_.push_back(hash_.Finish());
    }
  }
  return Ok();
}

Status EntryStage::Write(Batch& b) {
  for (const Command& c : b.commands) {
    switch (c.kind) {
      case Kind::kDirectory:
        CUSTOS_TRY(sink_->MakeDirectory(*static_cast<const v1::DirectoryEntry*>(c.entry)));
        break;
      case Kind::kBegin:
        CUSTOS_TRY(sink_->BeginFile(*static_cast<const v1::FileEntry*>(c.entry)));
        break;
      case Kind::kData:
        CUSTOS_TRY(sink_->FileData({b.data.data() + c.offset, c.size}));
        break;
      case Kind::kEnd:
        CUSTOS_TRY(sink_->EndFile());
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

// The worker is stopped on every path: after Finish no stage thread still
// touches the sink, whatever the outcome.
Status EntryStage::Finish() {
  Status st = cur_.commands.empty() ? Ok() : worker_.Hand(cur_);
  Status fin = worker_.Finish();
  return st.ok() ? fin : st;
}

}  // namespace custos::bundle
