// SealBundle: walk, sign the manifest, stream tar -> zstd -> age -> file, then
// the tag files, the custody log and the seal (docs/FORMAT.md "The bundle",
// "Sealing: walking the inputs").
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <thread>

#include "age/age.h"
#include "common/async_stream.h"
#include "bundle/limits.h"
#include "bundle/manifest.h"
#include "bundle/seal_record.h"
#include "bundle/tags.h"
#include "bundle/tar_writer.h"
#include "bundle/transport.h"
#include "bundle/walk.h"
#include "bundle/zstd_stream.h"
#include "custody/log.h"
#include "custos/seal.h"
#include "common/time_util.h"
#include "io/files.h"
#include "io/open_ahead.h"
#include "io/read_ahead.h"
#include "receipt/receipt.h"

namespace custos {

namespace {

constexpr std::size_t kReadChunk = 1 << 20;
// Files this large are read on the read-ahead thread, with O_DIRECT; smaller
// ones cost more to hand over than to read.
constexpr std::uint64_t kReadAheadFrom = bundle::kDirectIoFrom;
constexpr std::uint32_t kMemberMode = bundle::kOwnMemberMode;  // the reader pins the seal's
using bundle::TarWriter;

// An existing custody log to continue (--custody LOG).
struct ExistingLog {
  std::string path;
  custody::Tail tail;
  std::uint64_t size = 0;
  crypto::Digest sha256{};
  std::set<crypto::Digest> item_digests;  // what earlier events name
};

Result<ExistingLog> ReadExistingLog(const std::string& path) {
  ExistingLog log;
  log.path = path;
  if (path.empty() || !io::Exists(path)) return log;
  CUSTOS_ASSIGN_OR_RETURN(auto src, io::FileSource::Open(path, /*hash=*/true));
  Status st = custody::ReadLog(
      *src, bundle::kMaxCustodyLogBytes,
      [&](const custody::ParsedEvent& ev) -> Status {
        for (const auto& it : ev.event.items()) {
          crypto::Digest d{};
          if (it.sha256().size() != d.size() || log.item_digests.size() >= 100000) continue;
          std::memcpy(d.data(), it.sha256().data(), d.size());
          log.item_digests.insert(d);
        }
        return Ok();
      },
      &log.tail);
  if (!st.ok())
    return st.error().Wrap(path + ": custody log does not verify").WithHint(
        "run 'custos custody verify " + path + "' to see where it is broken");
  log.size = src->bytes_read();
  log.sha256 = src->Digest();
  // It is embedded with one more (SEALED) event; the reader's limit holds.
  // A record is at most kMaxEventBytes plus its length prefix (a varint, <= 10 bytes).
  constexpr std::uint64_t kRoom = custody::kMaxEventBytes + 10;
  if (log.size > bundle::kMaxCustodyLogBytes - kRoom)
    return Error(ErrorCode::kLimitExceeded,
                 path + ": custody log is " + std::to_string(log.size) +
                     " bytes, too large to embed with its SEALED event (limit " +
                     std::to_string(bundle::kMaxCustodyLogBytes - kRoom) + ")",
                 "start a new log whose first event refers to this one (custody checkpoint)");
  return log;
}

struct Counters {
  std::uint64_t done = 0;
  std::uint64_t total = 0;
};

class Sealer {
 public:
  explicit Sealer(const SealOptions& o) : o_(o) {}
  Result<SealResult> Run();

 private:
  Status Prepare();
  Status StreamEvidence(TarWriter& tar);
  Status StreamFile(std::size_t i, const v1::FileEntry& f, io::Fd fd, TarWriter& tar);
  Status WriteCustody(TarWriter& tar, const std::string& record, crypto::Digest* log_sha);

  const SealOptions& o_;
  // What streaming needs of the walk besides the manifest's entries: where
  // each entry is read from (its input) and the file's identity (24 bytes a
  // file, rather than the walk's entry and source path).
  struct Source {
    std::uint64_t dev = 0;
    std::uint64_t ino = 0;
    std::uint32_t top = 0;
  };
  bundle::WalkResult walk_;  // its entries freed once the manifest holds them
  std::vector<Source> sources_;
  ExistingLog log_;
  v1::Manifest manifest_;
  bundle::SignedBody signed_manifest_;
  std::string top_;
  std::vector<crypto::Digest> file_hashes_;
  std::vector<std::uint8_t> buf_;
  std::optional<io::ReadAhead> read_ahead_;  // when threaded
  Counters progress_;
};

Status Sealer::Prepare() {
  if (o_.sender == nullptr) return Error(ErrorCode::kUsage, "no sender key given", "pass -k SENDER.key");
  if (o_.inputs.empty())
    return Error(ErrorCode::kUsage, "nothing to seal: no input files or directories given",
                 "name the evidence files or directories after the options");
  if (o_.output.empty()) return Error(ErrorCode::kUsage, "no output given", "pass -o OUT.custos");
  if (!o_.force && io::Exists(o_.output))
    return Error(ErrorCode::kExists, o_.output + ": already exists",
                 "choose another name or pass --force to replace it");
  // A .sig left beside the new bundle would describe another one: check
  // would reject the bundle. Refused, or removed with --force.
  if (!o_.transport_signature && !o_.force && io::Exists(o_.output + ".sig"))
    return Error(ErrorCode::kExists,
                 o_.output + ".sig: already exists and would not match the new bundle",
                 "remove it, or pass --force to replace the bundle and remove it");
  CUSTOS_ASSIGN_OR_RETURN(walk_, bundle::WalkInputs(o_.inputs));
  auto& walked = walk_.entries;
  CUSTOS_ASSIGN_OR_RETURN(log_, ReadExistingLog(o_.custody_log));
  // Each walk entry moves into the manifest and is freed from the front of
  // the walk as it goes: the two are never held whole at once.
  const std::size_t count = walked.size();
  sources_.reserve(count);
  CUSTOS_ASSIGN_OR_RETURN(
      manifest_, bundle::BuildManifest(*o_.sender, o_.recipients, o_.case_info, count, [&](std::size_t) {
        bundle::WalkEntry w = std::move(walked.front());
        walked.pop_front();
        sources_.push_back({w.dev, w.ino, w.top});
        if (!w.is_dir) progress_.total += w.size;
        return bundle::ManifestEntryInput{std::move(w.bundle_path), w.is_dir, w.size, w.mode, w.mtime};
      }));
  std::deque<bundle::WalkEntry>().swap(walked);
  if (static_cast<std::size_t>(manifest_.entries_size()) != sources_.size())
    return Error(ErrorCode::kInternal, "manifest and walk differ");
  signed_manifest_ = bundle::SignManifest(*o_.sender, manifest_);
  // What the reader refuses, the sealer must not write.
  if (signed_manifest_.wrapper.size() > bundle::kMaxManifestBytes)
    return Error(ErrorCode::kLimitExceeded,
                 "the manifest of these " + std::to_string(sources_.size()) + " entries is " +
                     std::to_string(signed_manifest_.wrapper.size()) + " bytes, over the limit of " +
                     std::to_string(bundle::kMaxManifestBytes),
                 "seal the evidence in several bundles");
  top_ = crypto::Hex(crypto::AsBytes(manifest_.bundle_id()));
  buf_.resize(kReadChunk);
  return Ok();
}

// Reads one evidence file once, from `fd` (opened and checked against the
// walk at its turn: io::OpenAhead): hashes it and hands it to the tar writer.
// It must not change size or mtime while it is read.
Status Sealer::StreamFile(std::size_t i, const v1::FileEntry& f, io::Fd fd, TarWriter& tar) {
  const std::string source = walk_.SourcePath(sources_[i].top, f.path());
  CUSTOS_TRY(tar.BeginFile(top_ + "/" + f.path(), f.size(), f.mode(), f.mtime(), true));
  crypto::Sha256 h;
  std::uint64_t got = 0;
  const auto take = [&](std::span<const std::uint8_t> piece) -> Status {
    h.Update(piece);
    CUSTOS_TRY(tar.WriteData(piece));
    got += piece.size();
    progress_.done += piece.size();
    if (o_.progress) o_.progress({progress_.done, progress_.total, source});
    return Ok();
  };
  if (read_ahead_ && f.size() >= kReadAheadFrom) {
    // Read on the read-ahead thread (bypassing the page cache) while this
    // one hashes and compresses what was read before.
    read_ahead_->Start(fd.get(), f.size(), /*direct=*/true, source);
    struct StopGuard {  // the thread must be done with fd before it closes
      io::ReadAhead& r;
      ~StopGuard() { r.Stop(); }
    } guard{*read_ahead_};
    for (;;) {
      CUSTOS_ASSIGN_OR_RETURN(std::span<const std::uint8_t> piece, read_ahead_->Next());
      if (piece.empty()) break;
      CUSTOS_TRY(take(piece));
    }
  } else {
    while (got < f.size()) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(f.size() - got, buf_.size()));
      CUSTOS_ASSIGN_OR_RETURN(std::size_t n, io::ReadFull(fd.get(), {buf_.data(), want}, source));
      if (n == 0) break;
      CUSTOS_TRY(take({buf_.data(), n}));
    }
  }
  if (got < f.size())
    return Error(ErrorCode::kIo, source + ": file shrank while it was being sealed",
                 "seal from read-only media or a snapshot");
  std::uint8_t extra = 0;
  CUSTOS_ASSIGN_OR_RETURN(std::size_t more, io::PreadSome(fd.get(), {&extra, 1}, f.size(), source));
  struct stat st {};
  if (more != 0 || ::fstat(fd.get(), &st) != 0 || static_cast<std::uint64_t>(st.st_size) != f.size())
    return Error(ErrorCode::kIo, source + ": file changed size while it was being sealed",
                 "seal from read-only media or a snapshot");
  // Rewritten in place without a change of size: its mtime moved.
  if (static_cast<std::int64_t>(st.st_mtim.tv_sec) != f.mtime())
    return Error(ErrorCode::kIo, source + ": file was modified while it was being sealed",
                 "seal from read-only media or a snapshot");
  CUSTOS_TRY(tar.EndFile());
  file_hashes_.push_back(h.Finish());
  return Ok();
}

Status Sealer::StreamEvidence(TarWriter& tar) {
  file_hashes_.reserve(sources_.size());
  const auto entry = [&](std::size_t i) -> const v1::Entry& {
    return manifest_.entries(static_cast<int>(i));
  };
  // The next files are opened (and checked against the walk) while this one
  // is read, and the small ones' reads queued (io/open_ahead.h).
  io::OpenAhead ahead(
      sources_.size(),
      [&](std::size_t i) -> std::optional<std::uint64_t> {
        if (!entry(i).has_file()) return std::nullopt;
        return entry(i).file().size();
      },
      [&](std::size_t i, struct stat* st) -> Result<io::Fd> {
        const v1::FileEntry& f = entry(i).file();
        const Source& s = sources_[i];
        return bundle::OpenForSealing(walk_.SourcePath(s.top, f.path()),
                                      {s.dev, s.ino, f.size(), f.mtime()}, st);
      },
      kReadAheadFrom);
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    const v1::Entry& m = entry(i);
    if (m.has_directory()) {
      const v1::DirectoryEntry& d = m.directory();
      CUSTOS_TRY(tar.AddDirectory(top_ + "/" + d.path(), d.mode(), d.mtime()));
    } else {
      CUSTOS_ASSIGN_OR_RETURN(io::Fd fd, ahead.Take(i));
      CUSTOS_TRY(StreamFile(i, m.file(), std::move(fd), tar));
    }
  }
  return Ok();
}

// custos/custody.log = the existing log's bytes (re-read and checked to be the
// bytes verified at the start) followed by the SEALED record.
Status Sealer::WriteCustody(TarWriter& tar, const std::string& record, crypto::Digest* log_sha) {
  const std::int64_t mtime = manifest_.created().seconds();
  CUSTOS_TRY(tar.BeginFile(top_ + "/custos/custody.log", log_.size + record.size(), kMemberMode,
                           mtime, false));
  crypto::Sha256 whole, existing;
  if (log_.size > 0) {
    CUSTOS_ASSIGN_OR_RETURN(auto src, io::FileSource::Open(log_.path, false));
    std::uint64_t left = log_.size;
    while (left > 0) {
      std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buf_.size()));
      CUSTOS_ASSIGN_OR_RETURN(std::size_t n, src->Read({buf_.data(), want}));
      if (n == 0) break;
      existing.Update({buf_.data(), n});
      whole.Update({buf_.data(), n});
      CUSTOS_TRY(tar.WriteData({buf_.data(), n}));
      left -= n;
    }
    if (left != 0 || existing.Finish() != log_.sha256)
      return Error(ErrorCode::kIo, log_.path + ": custody log changed while sealing");
  }
  whole.Update(record);
  CUSTOS_TRY(tar.WriteData(crypto::AsBytes(record)));
  CUSTOS_TRY(tar.EndFile());
  *log_sha = whole.Finish();
  return Ok();
}

Result<SealResult> Sealer::Run() {
  CUSTOS_TRY(Prepare());
  const std::int64_t mtime = manifest_.created().seconds();
  CUSTOS_ASSIGN_OR_RETURN(io::AtomicOutputFile out,
                          io::AtomicOutputFile::Create(o_.output, 0644, o_.force));
  std::optional<io::AtomicOutputFile> sig_out;
  if (o_.transport_signature) {
    CUSTOS_ASSIGN_OR_RETURN(auto s, io::AtomicOutputFile::Create(o_.output + ".sig", 0644, o_.force));
    sig_out.emplace(std::move(s));
  }
  std::vector<age::X25519PublicKey> keys;
  for (const auto& r : o_.recipients) keys.push_back(r.x25519_public_key());
  // Stages on threads of their own (--threads 1: everything on this one):
  // reading large evidence files ahead; compressing frames (one worker a
  // thread); encrypting them in order; hashing the bundle; writing it. The
  // evidence is read and the bundle written with O_DIRECT where the file
  // system allows it (see io/read_ahead.h).
  int threads = o_.threads > 0 ? o_.threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads != 1) {
    read_ahead_.emplace();
    out.UseDirectIo();
  }
  io::HashingFileSink file_sink(out);
  std::optional<AsyncSink> write_stage;
  if (threads != 1)
    write_stage.emplace(std::vector<ByteSink*>{&file_sink.hash_stage(), &file_sink.write_stage()},
                        /*slots=*/4);
  ByteSink& encrypted_out = write_stage ? static_cast<ByteSink&>(*write_stage) : file_sink;
  CUSTOS_ASSIGN_OR_RETURN(auto enc, age::Encryptor::Create(keys, encrypted_out));
  // With threads > 1 the compressor writes its frames to `enc` on a thread of
  // its own: encryption is a stage without a copy in front of it.
  CUSTOS_ASSIGN_OR_RETURN(auto zstd, bundle::ZstdCompressor::Create(*enc, o_.level, threads));
  CUSTOS_ASSIGN_OR_RETURN(auto tar, TarWriter::Create(*zstd));

  CUSTOS_TRY(tar->AddSmallFile(top_ + "/custos/manifest.pb",
                               crypto::AsBytes(signed_manifest_.wrapper), kMemberMode, mtime));
  // Only its hash is needed from here on (~100 bytes a file each).
  std::string().swap(signed_manifest_.body);
  std::string().swap(signed_manifest_.wrapper);
  CUSTOS_TRY(StreamEvidence(*tar));
  // The walk is done with (its memory grows with the file count).
  const std::size_t entry_count = sources_.size();
  std::vector<Source>().swap(sources_);
  bundle::SealFacts facts;
  for (const auto& t : bundle::BuildTagFiles(manifest_, o_.sender->public_identity(), file_hashes_)) {
    CUSTOS_TRY(tar->AddSmallFile(top_ + "/" + t.name, crypto::AsBytes(t.content), kMemberMode, mtime));
    facts.tag_files.emplace_back(t.name, crypto::Sha256Of(crypto::AsBytes(t.content)));
  }
  // Nothing below needs the entries (paths, sizes): only the manifest's
  // header fields (bundle id, creation time, recipients).
  manifest_.clear_entries();
  v1::Event sealed;
  sealed.set_action(v1::SEALED);
  sealed.set_bundle_id(manifest_.bundle_id());
  sealed.set_manifest_hash(signed_manifest_.hash.data(), signed_manifest_.hash.size());
  crypto::Digest entries = custody::EntriesDigest(file_hashes_);
  sealed.set_entries_digest(entries.data(), entries.size());
  sealed.set_note("sealed for " + bundle::RecipientNames(manifest_));
  custody::Tail new_tail;
  CUSTOS_ASSIGN_OR_RETURN(std::string record,
                          custody::SignNextEvent(*o_.sender, log_.tail, sealed, &new_tail));
  // Checked early with room for the largest record; this is the exact check.
  if (log_.size + record.size() > bundle::kMaxCustodyLogBytes)
    return Error(ErrorCode::kLimitExceeded, "the custody log with its SEALED event would be over the limit of " +
                                                std::to_string(bundle::kMaxCustodyLogBytes) + " bytes",
                 "start a new log whose first event refers to this one (custody checkpoint)");
  CUSTOS_TRY(WriteCustody(*tar, record, &facts.custody_sha256));

  facts.bundle_id = manifest_.bundle_id();
  facts.manifest_hash = signed_manifest_.hash;
  facts.sender_fingerprint = o_.sender->fingerprint();
  facts.file_hashes = file_hashes_;
  facts.custody_head = new_tail.head;
  facts.custody_count = new_tail.count;
  facts.tar_transcript = tar->FinishTranscript();
  facts.payload_bytes = progress_.total;
  bundle::SignedBody seal = bundle::SignSeal(*o_.sender, facts);
  CUSTOS_TRY(tar->AddSmallFile(top_ + "/custos/seal.pb", crypto::AsBytes(seal.wrapper), kMemberMode, mtime));
  std::string().swap(seal.body);
  std::string().swap(seal.wrapper);
  CUSTOS_TRY(tar->Close());
  CUSTOS_TRY(zstd->Finish());
  CUSTOS_TRY(enc->Finish());
  if (write_stage) CUSTOS_TRY(write_stage->Finish());
  CUSTOS_TRY(file_sink.Flush());

  SealResult r;
  crypto::Digest bundle_sha = file_sink.Digest();
  r.bundle_size = out.size();
  bundle::TransportFacts tf{manifest_.bundle_id(), r.bundle_size, bundle_sha,
                            signed_manifest_.hash, seal.hash};
  bundle::SignedTransportOut transport = bundle::SignTransport(*o_.sender, tf);
  if (sig_out) CUSTOS_TRY(sig_out->Write(crypto::AsBytes(transport.wrapper)));
  CUSTOS_TRY(out.Commit());
  if (sig_out) {
    Status st = sig_out->Commit();
    if (!st.ok()) {
      ::unlink(o_.output.c_str());  // never a bundle without the signature it promised
      return st.error();
    }
    r.transport_path = o_.output + ".sig";
  } else if (::unlink((o_.output + ".sig").c_str()) != 0 && errno != ENOENT) {
    r.warnings.push_back(o_.output + ".sig could not be removed (" + std::strerror(errno) +
                         "); it does not belong to the new bundle");
  }
  // The sent register first: a failed custody append must not also cost the
  // receipts their match.
  v1::SentRecord sent;
  sent.set_format_version(1);
  sent.set_bundle_id(manifest_.bundle_id());
  sent.set_bundle_sha256(bundle_sha.data(), bundle_sha.size());
  sent.set_bundle_size(r.bundle_size);
  sent.set_manifest_hash(signed_manifest_.hash.data(), signed_manifest_.hash.size());
  sent.set_seal_hash(seal.hash.data(), seal.hash.size());
  sent.set_sender_fingerprint(o_.sender->fingerprint().data(), o_.sender->fingerprint().size());
  for (const auto& rc : o_.recipients)
    sent.add_recipient_fingerprints(rc.fingerprint().data(), rc.fingerprint().size());
  sent.mutable_time()->set_seconds(NowUnix());
  sent.set_bundle_path(o_.output);
  if (Status st = receipt::RecordSent(sent); !st.ok())
    r.warnings.push_back("could not record the bundle in the sent register (receipts cannot be "
                         "matched to its recipients later): " + st.error().message());
  if (!o_.custody_log.empty()) {
    Status st = custody::AppendRecords(o_.custody_log, record, &log_.tail);
    if (!st.ok())
      return st.error().Wrap("bundle " + o_.output + " is complete, but its SEALED event could not be "
                             "appended to " + o_.custody_log);
  }
  std::size_t leaked = 0;
  for (const auto& d : log_.item_digests)
    if (std::find(file_hashes_.begin(), file_hashes_.end(), d) == file_hashes_.end()) ++leaked;
  if (leaked > 0)
    r.warnings.push_back("the custody log names " + std::to_string(leaked) +
                         " item digest(s) that are not in this bundle; the recipients will see them");
  r.bundle_id_hex = top_;
  r.bundle_sha256_hex = crypto::Hex(bundle_sha);
  r.manifest_hash_hex = crypto::Hex(signed_manifest_.hash);
  r.seal_hash_hex = crypto::Hex(seal.hash);
  r.payload_bytes = progress_.total;
  r.file_count = file_hashes_.size();
  r.directory_count = entry_count - file_hashes_.size();
  r.json = bundle::SealReportJson(r, o_, transport.transport);
  return r;
}

}  // namespace

Result<SealResult> SealBundle(const SealOptions& opts) { return Sealer(opts).Run(); }

Status CheckRecipientAccepted(const PublicIdentity& recipient, const TrustStore& store,
                              const std::vector<Fingerprint>& confirmed) {
  for (const auto& fp : confirmed)
    if (fp == recipient.fingerprint()) return Ok();
  CUSTOS_ASSIGN_OR_RETURN(std::optional<PublicIdentity> found, store.Find(recipient.fingerprint()));
  if (found) return Ok();
  return Error(ErrorCode::kRecipientNotTrusted,
               "recipient '" + recipient.name() + "' (" + FormatFingerprint(recipient.fingerprint()) +
                   ") is neither in the trust store nor confirmed",
               "check the fingerprint with the recipient out of band, then pass "
               "--recipient-fingerprint FP or 'custos trust add' the .pub");
}

}  // namespace custos
