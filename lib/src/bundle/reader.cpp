#include "bundle/reader.h"

#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "age/age.h"
#include "common/async_stream.h"
#include "bundle/entry_stage.h"
#include "bundle/limits.h"
#include "bundle/safe_path.h"
#include "bundle/seal_record.h"
#include "bundle/tags.h"
#include "bundle/tar_reader.h"
#include "bundle/tar_writer.h"
#include "bundle/transport.h"
#include "bundle/zstd_stream.h"
#include "io/files.h"

namespace custos::bundle {

namespace {


Error Unexpected(const std::string& what) {
  return Error(ErrorCode::kCorrupt, "payload does not match its signed manifest: " + what);
}

// The tar member the reader expects next, with the fields it must have.
Status ExpectMember(const std::optional<TarMember>& m, const std::string& path, unsigned type,
                    const std::string& what) {
  if (!m) return Unexpected(what + " '" + EscapeForDisplay(path) + "' is missing (archive ends early)");
  // A directory member's name carries one trailing slash (as tar writes it).
  const bool dir_name = type == AE_IFDIR && m->path.size() == path.size() + 1 &&
                        m->path.back() == '/' && m->path.compare(0, path.size(), path) == 0;
  if (m->path != path && !dir_name)
    return Unexpected("expected " + what + " '" + EscapeForDisplay(path) + "', found '" +
                      EscapeForDisplay(m->path) + "'");
  if (m->type != type)
    return Unexpected("'" + EscapeForDisplay(path) + "' is not a " +
                      (type == AE_IFDIR ? "directory" : "regular file"));
  if (m->has_link || m->has_extras)
    return Unexpected("'" + EscapeForDisplay(path) +
                      "' carries links, extended attributes, ACLs, sparse maps or flags");
  return Ok();
}

// The sentence for a tag file whose bytes differ from the expected ones at
// `pos`: for manifest-sha256.txt it names the file on that line (the line's
// path is the percent-encoded one).
std::string TagDiffers(const std::string& name, const std::string& expected, std::size_t pos) {
  if (name == "manifest-sha256.txt" && pos < expected.size()) {
    std::size_t start = expected.rfind('\n', pos);
    start = start == std::string::npos ? 0 : start + 1;
    std::size_t end = expected.find('\n', start);
    std::size_t sep = expected.find("  ", start);
    if (end != std::string::npos && sep != std::string::npos && sep < end)
      return "SHA-256 of '" + EscapeForDisplay(expected.substr(sep + 2, end - sep - 2)) +
             "' differs from the one listed in manifest-sha256.txt: the file or the tag "
             "manifest was altered";
  }
  return "tag file " + name + " differs from what the signed manifest and the evidence imply";
}

// Reads a whole small member of at most `limit` bytes.
Result<std::string> ReadSmall(TarReader& tar, const TarMember& m, std::size_t limit) {
  if (m.size > limit)
    return Error(ErrorCode::kLimitExceeded, "'" + EscapeForDisplay(m.path) + "' is " +
                                                std::to_string(m.size) + " bytes, over the limit of " +
                                                std::to_string(limit));
  std::string out;
  out.reserve(static_cast<std::size_t>(m.size));
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(auto block, tar.ReadBlock());
    if (block.empty()) break;
    out.append(reinterpret_cast<const char*>(block.data()), block.size());
  }
  return out;
}

// A ByteSource over the current tar member (the embedded custody log), which
// also hashes what passes and hands it to the sink.
class MemberSource final : public ByteSource {
 public:
  MemberSource(TarReader& tar, ExtractSink* sink) : tar_(tar), sink_(sink) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (pending_.empty()) {
      CUSTOS_ASSIGN_OR_RETURN(pending_, tar_.ReadBlock());
      if (pending_.empty()) return std::size_t{0};
      hash_.Update(pending_);
      if (sink_ != nullptr) CUSTOS_TRY(sink_->CustodyData(pending_));
    }
    std::size_t n = std::min(out.size(), pending_.size());
    std::memcpy(out.data(), pending_.data(), n);
    pending_ = pending_.subspan(n);
    return n;
  }
  crypto::Digest Digest() { return hash_.Finish(); }

 private:
  TarReader& tar_;
  ExtractSink* sink_;
  std::span<const std::uint8_t> pending_;
  crypto::Sha256 hash_;
};

class Reader {
 public:
  Reader(const ReadOptions& o, ExtractSink* sink) : o_(o), sink_(sink) {}
  Result<ReadOutcome> Run();
  // The payload stages alone (zstd -> tar -> every check) for a receiver
  // fingerprint; no key, no age layer, no file or transport checks.
  Result<ReadOutcome> RunPayload(ByteSource& payload, const Fingerprint& receiver);

 private:
  Status Open();
  Status ReadPayload(ByteSource& payload);
  Status ReadManifest();
  Status ReadEntries();
  Status ReadTags(SealFacts* facts);
  Status ReadCustody(SealFacts* facts);
  Status ReadSeal(SealFacts* facts);
  Status CheckTransport();
  std::uint64_t SignedBudget() const;
  // Sorted once, on the first custody item (most logs name none): 32 B a file.
  bool IsBundleFile(const std::string& sha256) {
    crypto::Digest d{};
    if (sha256.size() != d.size()) return false;
    std::memcpy(d.data(), sha256.data(), d.size());
    if (sorted_hashes_.size() != file_hashes_.size()) {
      sorted_hashes_ = file_hashes_;
      std::sort(sorted_hashes_.begin(), sorted_hashes_.end());
    }
    return std::binary_search(sorted_hashes_.begin(), sorted_hashes_.end(), d);
  }
  std::vector<crypto::Digest> sorted_hashes_;  // for item lookups, 32 B a file

  const ReadOptions& o_;
  ExtractSink* sink_;
  std::optional<TrustStore> store_;
  std::unique_ptr<io::FileSource> file_;
  std::unique_ptr<age::Decryptor> dec_;
  std::unique_ptr<AsyncSource> decrypt_stage_;
  std::unique_ptr<ZstdDecompressor> zstd_;
  std::unique_ptr<TarReader> tar_;
  ReadOutcome out_;
  Fingerprint receiver_fp_{};
  std::vector<crypto::Digest> file_hashes_;
};

Status Reader::Open() {
  if (o_.receiver == nullptr) return Error(ErrorCode::kUsage, "no key given", "pass -k RECIPIENT.key");
  CUSTOS_TRY(CheckExampleKey(o_.receiver->public_identity(), o_.allow_example_keys, &out_.warnings));
  receiver_fp_ = o_.receiver->fingerprint();
  if (o_.from.empty()) {
    CUSTOS_ASSIGN_OR_RETURN(TrustStore s, TrustStore::Open(o_.trust_dir, false));
    store_.emplace(std::move(s));
  }
  CUSTOS_ASSIGN_OR_RETURN(file_, io::FileSource::Open(o_.bundle_path, /*hash=*/true));
  if (o_.threads != 1 && file_->file_size() >= kDirectIoFrom) file_->UseReadAhead();
  auto dec = age::Decryptor::Open(*file_, o_.receiver->x25519_secret());
  if (!dec.ok()) return std::move(dec).error().Wrap(o_.bundle_path);
  dec_ = std::move(dec).value();
  // Hashing and decrypting the file run ahead on their own thread (reading
  // it on the read-ahead thread).
  if (o_.threads != 1) decrypt_stage_ = std::make_unique<AsyncSource>(*dec_);
  return Ok();
}

// Everything inside the age layer, in stream order.
Status Reader::ReadPayload(ByteSource& payload) {
  CUSTOS_ASSIGN_OR_RETURN(zstd_, ZstdDecompressor::Create(payload));
  CUSTOS_ASSIGN_OR_RETURN(tar_, TarReader::Create(*zstd_, kPreAuthBudget));
  CUSTOS_TRY(ReadManifest());
  CUSTOS_TRY(ReadEntries());
  if (sink_ != nullptr) CUSTOS_TRY(sink_->EntriesDone());
  SealFacts facts;
  CUSTOS_TRY(ReadTags(&facts));
  CUSTOS_TRY(ReadCustody(&facts));
  return ReadSeal(&facts);
}

Status Reader::ReadManifest() {
  CUSTOS_ASSIGN_OR_RETURN(std::optional<TarMember> m, tar_->Next());
  if (!m) return Unexpected("the archive is empty");
  const std::string suffix = "/custos/manifest.pb";
  if (m->path.size() <= suffix.size() || m->path.compare(m->path.size() - suffix.size(), suffix.size(), suffix) != 0)
    return Unexpected("the first member is '" + EscapeForDisplay(m->path) + "', not the manifest");
  CUSTOS_TRY(ExpectMember(m, m->path, AE_IFREG, "manifest"));
  CUSTOS_ASSIGN_OR_RETURN(std::string member, ReadSmall(*tar_, *m, kMaxManifestBytes));
  SenderPolicy policy{&o_.from, store_ ? &*store_ : nullptr, o_.allow_example_keys, &out_.warnings};
  CUSTOS_ASSIGN_OR_RETURN(out_.manifest,
                          VerifyManifest(crypto::AsBytes(member), receiver_fp_, policy));
  if (m->path != out_.manifest.top + suffix)
    return Unexpected("the top directory is not named for the bundle id");
  if (sink_ != nullptr) {
    CUSTOS_TRY(sink_->OnManifest(out_.manifest));
    CUSTOS_TRY(sink_->MetadataFile("custos/manifest.pb", crypto::AsBytes(member)));
  }
  tar_->SetBudget(SignedBudget());
  return Ok();
}

// Everything the signed manifest allows the payload to hold, so a bomb cannot
// make the reader decompress more than the sender signed for.
std::uint64_t Reader::SignedBudget() const {
  const auto& vm = out_.manifest;
  std::uint64_t n = tar_->delivered();
  n += (vm.file_count + vm.dir_count + 8) * kPerMemberOverhead;
  n += vm.payload_bytes + vm.file_count * kTarBlock;
  n += kMaxBagitTxtBytes + kMaxBagInfoBytes + kMaxTagManifestBytes +
       TagFileLimit("manifest-sha256.txt") + kMaxCustodyLogBytes + kMaxSealBytes + 3 * kTarRecord;
  return n;
}

// Decompressing and parsing stay on this thread; hashing each file and the
// sink's writes run on the entry stage's two threads (EntryStage).
Status Reader::ReadEntries() {
  const std::string& top = out_.manifest.top;
  EntryStage stage(sink_, o_.threads != 1, out_.manifest.file_count);
  std::uint64_t done = 0;  // evidence bytes so far, for the progress bar (of the signed total)
  for (const v1::Entry& e : out_.manifest.manifest.entries()) {
    CUSTOS_ASSIGN_OR_RETURN(std::optional<TarMember> m, tar_->Next());
    const bool is_dir = e.has_directory();
    const std::string& path = is_dir ? e.directory().path() : e.file().path();
    CUSTOS_TRY(ExpectMember(m, top + "/" + path, is_dir ? AE_IFDIR : AE_IFREG, "entry"));
    const std::uint32_t mode = is_dir ? e.directory().mode() : e.file().mode();
    const std::int64_t mtime = is_dir ? e.directory().mtime() : e.file().mtime();
    if (m->perm != mode || m->mtime != mtime || m->mtime_nsec != 0)
      return Unexpected("mode or modification time of '" + EscapeForDisplay(path) + "' differs");
    if (is_dir) {
      CUSTOS_TRY(stage.Directory(e.directory()));
      continue;
    }
    if (m->size != e.file().size())
      return Unexpected("size of '" + EscapeForDisplay(path) + "' is " + std::to_string(m->size) +
                        ", the manifest says " + std::to_string(e.file().size()));
    tar_->ExcludeCurrentContent();
    CUSTOS_TRY(stage.BeginFile(e.file()));
    for (;;) {
      CUSTOS_ASSIGN_OR_RETURN(auto block, tar_->ReadBlock());
      if (block.empty()) break;
      CUSTOS_TRY(stage.Data(block));
      done += block.size();
      if (o_.progress) o_.progress({done, out_.manifest.payload_bytes, path});
    }
    CUSTOS_TRY(stage.EndFile());
  }
  CUSTOS_TRY(stage.Finish());
  file_hashes_ = stage.TakeDigests();
  return Ok();
}

Status Reader::ReadTags(SealFacts* facts) {
  auto expected = BuildTagFiles(out_.manifest.manifest, out_.manifest.sender, file_hashes_);
  for (const TagFile& t : expected) {
    CUSTOS_ASSIGN_OR_RETURN(std::optional<TarMember> m, tar_->Next());
    CUSTOS_TRY(ExpectMember(m, out_.manifest.top + "/" + t.name, AE_IFREG, "tag file"));
    if (m->size > TagFileLimit(t.name))
      return Error(ErrorCode::kLimitExceeded, "tag file " + t.name + " is over its limit");
    // Compared block by block as it streams: no second copy of a tag file
    // (manifest-sha256.txt is ~100 bytes a file).
    std::size_t at = 0;
    for (;;) {
      CUSTOS_ASSIGN_OR_RETURN(auto block, tar_->ReadBlock());
      if (block.empty()) break;
      const std::size_t n = std::min(block.size(), t.content.size() - std::min(at, t.content.size()));
      std::size_t k = 0;
      while (k < n && block[k] == static_cast<std::uint8_t>(t.content[at + k])) ++k;
      if (k < block.size())
        return Error(ErrorCode::kDigestMismatch, TagDiffers(t.name, t.content, at + k));
      at += block.size();
    }
    if (at != t.content.size())
      return Error(ErrorCode::kDigestMismatch, TagDiffers(t.name, t.content, at));
    facts->tag_files.emplace_back(t.name, crypto::Sha256Of(crypto::AsBytes(t.content)));
    // The bytes just compared equal to the member's.
    if (sink_ != nullptr) CUSTOS_TRY(sink_->MetadataFile(t.name, crypto::AsBytes(t.content)));
  }
  return Ok();
}

Status Reader::ReadCustody(SealFacts* facts) {
  CUSTOS_ASSIGN_OR_RETURN(std::optional<TarMember> m, tar_->Next());
  CUSTOS_TRY(ExpectMember(m, out_.manifest.top + "/custos/custody.log", AE_IFREG, "custody log"));
  if (m->size > kMaxCustodyLogBytes)
    return Error(ErrorCode::kLimitExceeded, "embedded custody log is over the limit");
  MemberSource src(*tar_, sink_);
  std::optional<v1::Event> last;
  Fingerprint last_actor{};
  std::uint64_t foreign_items = 0;  // item digests of events that match no file
  Status st = custody::ReadLog(src, kMaxCustodyLogBytes,
                               [&](const custody::ParsedEvent& ev) -> Status {
                                 for (const auto& it : ev.event.items())
                                   if (!IsBundleFile(it.sha256())) ++foreign_items;
                                 last = ev.event;
                                 last_actor = ev.actor.fingerprint();
                                 return Ok();
                               },
                               &out_.custody_tail);
  if (!st.ok()) return st.error().Wrap("embedded custody log");
  const auto& vm = out_.manifest;
  crypto::Digest entries = custody::EntriesDigest(file_hashes_);
  if (!last || last->action() != v1::SEALED || last_actor != vm.sender.fingerprint() ||
      last->bundle_id() != vm.manifest.bundle_id() ||
      !crypto::ConstantTimeEqual(crypto::AsBytes(last->manifest_hash()), vm.hash) ||
      !crypto::ConstantTimeEqual(crypto::AsBytes(last->entries_digest()), entries))
    return Error(ErrorCode::kBrokenChain,
                 "embedded custody log does not end with this bundle's SEALED event signed by "
                 "its sender");
  if (foreign_items > 0)
    out_.warnings.push_back("the custody log names " + std::to_string(foreign_items) +
                            " item digest(s) that match no file in this bundle (items the "
                            "sender holds but did not send, or another version of a file)");
  facts->custody_head = out_.custody_tail.head;
  facts->custody_count = out_.custody_tail.count;
  facts->custody_sha256 = src.Digest();
  return Ok();
}

Status Reader::ReadSeal(SealFacts* facts) {
  CUSTOS_ASSIGN_OR_RETURN(std::optional<TarMember> m, tar_->Next());
  CUSTOS_TRY(ExpectMember(m, out_.manifest.top + "/custos/seal.pb", AE_IFREG, "seal"));
  // The transcript ends where the seal member begins, so its header (and any
  // pax, global or long-name header before it) must be exactly what custos
  // writes: otherwise those bytes would escape every signature.
  if (m->size > kMaxSealBytes)
    return Error(ErrorCode::kLimitExceeded, "seal member is over the limit");
  // Compared after the seal verified, so that a spliced or re-signed seal is
  // named as such; the header bytes must be taken before the content is read.
  const std::vector<std::uint8_t> seal_header = tar_->CurrentHeaderBytes();
  facts->tar_transcript = tar_->FinishTranscriptAtCurrentHeader();
  CUSTOS_ASSIGN_OR_RETURN(out_.seal_member, ReadSmall(*tar_, *m, kMaxSealBytes));
  const auto& vm = out_.manifest;
  facts->bundle_id = vm.manifest.bundle_id();
  facts->manifest_hash = vm.hash;
  facts->sender_fingerprint = vm.sender.fingerprint();
  facts->file_hashes = file_hashes_;
  facts->payload_bytes = vm.payload_bytes;
  CUSTOS_ASSIGN_OR_RETURN(out_.seal_hash, VerifySeal(crypto::AsBytes(out_.seal_member), vm.sender,
                                                     *facts, vm.manifest));
  CUSTOS_ASSIGN_OR_RETURN(auto canonical,
                          CanonicalFileHeader(m->path, m->size, kOwnMemberMode,
                                              vm.manifest.created().seconds()));
  if (seal_header != canonical)
    return Error(ErrorCode::kCorrupt,
                 "the seal member's tar header is not the one custos writes (it was altered "
                 "after sealing)");
  if (sink_ != nullptr) {
    CUSTOS_TRY(sink_->MetadataFile("custos/seal.pb", crypto::AsBytes(out_.seal_member)));
    std::string().swap(out_.seal_member);
  }
  CUSTOS_ASSIGN_OR_RETURN(std::optional<TarMember> after, tar_->Next());
  if (after)
    return Unexpected("member '" + EscapeForDisplay(after->path) + "' follows the seal");
  return tar_->CheckTrailer();
}

Status Reader::CheckTransport() {
  std::string sig = o_.sig_path.empty() ? o_.bundle_path + ".sig" : o_.sig_path;
  if (o_.sig_path.empty() && !io::Exists(sig)) return Ok();
  CUSTOS_ASSIGN_OR_RETURN(io::Bytes bytes, io::ReadFileLimited(sig, kMaxTransportBytes));
  auto t = VerifyTransportSignature(bytes, out_.manifest.sender);
  if (!t.ok()) return t.error().Wrap(sig);
  TransportFacts actual{out_.manifest.manifest.bundle_id(), out_.bundle_size, out_.bundle_sha256,
                        out_.manifest.hash, out_.seal_hash};
  auto st = CheckTransportFacts(*t, actual, true);
  if (!st.ok()) return st.error().Wrap(sig);
  out_.transport_checked = true;
  return Ok();
}

Result<ReadOutcome> Reader::Run() {
  CUSTOS_TRY(Open());
  CUSTOS_TRY(ReadPayload(decrypt_stage_ ? static_cast<ByteSource&>(*decrypt_stage_) : *dec_));
  out_.bundle_size = file_->bytes_read();
  if (out_.bundle_size != file_->file_size())
    return Error(ErrorCode::kCorrupt, o_.bundle_path + ": file changed while it was read");
  out_.bundle_sha256 = file_->Digest();
  CUSTOS_TRY(CheckTransport());
  out_.file_hashes = std::move(file_hashes_);
  return std::move(out_);
}

Result<ReadOutcome> Reader::RunPayload(ByteSource& payload, const Fingerprint& receiver) {
  receiver_fp_ = receiver;
  CUSTOS_TRY(ReadPayload(payload));
  out_.file_hashes = std::move(file_hashes_);
  return std::move(out_);
}

}  // namespace

Result<ReadOutcome> ReadPayloadForTesting(ByteSource& decrypted_payload, const Fingerprint& receiver,
                                          const std::vector<PublicIdentity>& from) {
  ReadOptions opts;
  opts.from = from;
  opts.allow_example_keys = true;
  opts.threads = 1;
  return Reader(opts, nullptr).RunPayload(decrypted_payload, receiver);
}

Result<ReadOutcome> ReadBundle(const ReadOptions& opts, ExtractSink* sink) {
  auto r = Reader(opts, sink).Run();
  if (!r.ok() && r.error().code() != ErrorCode::kNoMatchingKey &&
      r.error().message().rfind(opts.bundle_path, 0) != 0)
    return std::move(r).error().Wrap(opts.bundle_path);
  return r;
}

}  // namespace custos::bundle
