#include "common/async_stream.h"

#include <algorithm>
#include <cstring>

namespace custos {

namespace {
constexpr std::size_t kSourceSlots = 8;
constexpr std::size_t kSlotBytes = 1 << 20;
}  // namespace

Status ByteSink::CommitBuffer(std::size_t) {
  return Error(ErrorCode::kInternal, "CommitBuffer on a sink without buffers");
}

std::vector<AsyncSink::Slot> AsyncSink::Spares(std::size_t slots) {
  std::vector<Slot> v(std::max<std::size_t>(slots, 2) - 1);
  for (Slot& s : v) s.bytes.resize(kSlotBytes);
  return v;
}

std::vector<OrderedWorker<AsyncSink::Slot>::Apply> AsyncSink::Applies(
    const std::vector<ByteSink*>& stages) {
  std::vector<OrderedWorker<Slot>::Apply> v;
  for (ByteSink* down : stages)
    v.emplace_back([down](Slot& s) { return down->Write({s.bytes.data(), s.len}); });
  return v;
}

AsyncSink::AsyncSink(ByteSink& downstream, std::size_t slots)
    : AsyncSink(std::vector<ByteSink*>{&downstream}, slots) {}

AsyncSink::AsyncSink(std::vector<ByteSink*> stages, std::size_t slots)
    : worker_(Applies(stages), [](Slot& s) { s.len = 0; }, Spares(slots), /*threaded=*/true) {
  cur_.bytes.resize(kSlotBytes);
}

AsyncSink::~AsyncSink() = default;

Status AsyncSink::Broken(Status st) {
  if (!st.ok()) broken_ = true;
  return st;
}

Status AsyncSink::Refused() {
  Status st = worker_.status();
  return st.ok() ? Error(ErrorCode::kInternal, "write to a stage after it failed") : st;
}

Status AsyncSink::Flush() {
  if (broken_) return Refused();
  if (cur_.len == 0) return Broken(worker_.status());
  return Broken(worker_.Hand(cur_));
}

Status AsyncSink::Write(std::span<const std::uint8_t> data) {
  if (broken_) return Refused();
  while (!data.empty()) {
    std::size_t n = std::min(data.size(), kSlotBytes - cur_.len);
    std::memcpy(cur_.bytes.data() + cur_.len, data.data(), n);
    cur_.len += n;
    data = data.subspan(n);
    if (cur_.len == kSlotBytes) CUSTOS_TRY(Flush());
  }
  return Ok();
}

// Flush() leaves a buffer with free space behind, so this is never empty
// unless the stage failed.
std::span<std::uint8_t> AsyncSink::NextBuffer() {
  if (broken_) return {};
  return {cur_.bytes.data() + cur_.len, kSlotBytes - cur_.len};
}

Status AsyncSink::CommitBuffer(std::size_t n) {
  if (broken_) return Refused();
  if (n > kSlotBytes - cur_.len) return Error(ErrorCode::kInternal, "CommitBuffer past the buffer");
  cur_.len += n;
  if (cur_.len == kSlotBytes) return Flush();
  return Ok();
}

// The stages are stopped on every path: after Finish no stage thread still
// touches its sink, whatever the outcome.
Status AsyncSink::Finish() {
  Status st = Flush();
  Status fin = Broken(worker_.Finish());
  return st.ok() ? fin : st;
}

AsyncSource::AsyncSource(ByteSource& upstream) : up_(upstream) {
  for (std::size_t i = 0; i < kSourceSlots; ++i) free_.emplace_back(kSlotBytes);
  worker_ = std::thread([this] { Run(); });
}

AsyncSource::~AsyncSource() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void AsyncSource::Run() {
  for (;;) {
    std::vector<std::uint8_t> buf;
    {
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait(l, [&] { return !free_.empty() || stop_; });
      if (stop_) return;
      buf = std::move(free_.front());
      free_.pop_front();
    }
    buf.resize(kSlotBytes);
    std::size_t got = 0;
    Status st;
    bool eof = false;
    while (got < buf.size()) {
      auto n = up_.Read({buf.data() + got, buf.size() - got});
      if (!n.ok()) {
        st = std::move(n).error();
        break;
      }
      if (*n == 0) {
        eof = true;
        break;
      }
      got += *n;
    }
    buf.resize(got);
    {
      std::lock_guard<std::mutex> l(mu_);
      if (got > 0) full_.push_back(std::move(buf));
      else free_.push_back(std::move(buf));
      if (!st.ok()) {
        error_ = std::move(st);
        failed_ = true;
      }
      if (eof) eof_ = true;
    }
    cv_.notify_all();
    if (eof || failed_) return;
  }
}

Result<std::size_t> AsyncSource::Read(std::span<std::uint8_t> out) {
  if (cur_pos_ == cur_.size()) {
    std::unique_lock<std::mutex> l(mu_);
    if (!cur_.empty() || cur_.capacity() > 0) {
      free_.push_back(std::move(cur_));
      cur_ = {};
      cv_.notify_all();
    }
    cur_pos_ = 0;
    cv_.wait(l, [&] { return !full_.empty() || eof_ || failed_; });
    if (full_.empty()) {
      // Data queued before a failure is still delivered first.
      if (failed_) return error_.error();
      return std::size_t{0};
    }
    cur_ = std::move(full_.front());
    full_.pop_front();
  }
  std::size_t n = std::min(out.size(), cur_.size() - cur_pos_);
  std::memcpy(out.data(), cur_.data() + cur_pos_, n);
  cur_pos_ += n;
  return n;
}

}  // namespace custos
