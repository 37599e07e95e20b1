// Encryptor, Decryptor and InspectHeader: the age file = header + nonce + STREAM.
#include "age/age.h"

#include <algorithm>
#include <cstring>

#include "age/header.h"
#include "age/stream.h"
#include "age/x25519.h"

namespace custos::age {
namespace {

SecretBytes PayloadKey(const SecretBytes& file_key, std::span<const std::uint8_t> nonce) {
  return crypto::HkdfSha256(file_key.Reveal(), nonce, "payload", crypto::kChaChaKeySize);
}

Status CheckRecipients(std::span<const X25519PublicKey> recipients) {
  if (recipients.empty()) return Error(ErrorCode::kUsage, "at least one recipient is needed");
  for (std::size_t i = 0; i < recipients.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (recipients[i] == recipients[j])
        return Error(ErrorCode::kUsage,
                     "recipient " + EncodeRecipient(recipients[i]) + " is given more than once");
    }
  }
  return Ok();
}

// The bytes the header reader read past the header, then the rest of `in`.
class PrefixedSource final : public ByteSource {
 public:
  PrefixedSource(std::span<const std::uint8_t> prefix, ByteSource& in)
      : prefix_(prefix.begin(), prefix.end()), in_(in) {}
  Result<std::size_t> Read(std::span<std::uint8_t> out) override {
    if (pos_ == prefix_.size()) return in_.Read(out);
    const std::size_t n = std::min(out.size(), prefix_.size() - pos_);
    std::memcpy(out.data(), prefix_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::vector<std::uint8_t> prefix_;
  std::size_t pos_ = 0;
  ByteSource& in_;
};

Status ReadNonce(ByteSource& in, std::span<std::uint8_t> nonce) {
  std::size_t got = 0;
  while (got < nonce.size()) {
    CUSTOS_ASSIGN_OR_RETURN(const std::size_t n, in.Read(nonce.subspan(got)));
    if (n == 0)
      return Error(ErrorCode::kCorrupt, "the age payload nonce is truncated (the file ends after the header)");
    got += n;
  }
  return Ok();
}

}  // namespace

// ---- Encryptor ------------------------------------------------------------------

struct Encryptor::Impl {
  std::unique_ptr<StreamWriter> stream;
};

Encryptor::Encryptor() : impl_(std::make_unique<Impl>()) {}
Encryptor::~Encryptor() = default;

Result<std::unique_ptr<Encryptor>> Encryptor::Create(std::span<const X25519PublicKey> recipients,
                                                     ByteSink& out) {
  CUSTOS_TRY(CheckRecipients(recipients));
  const SecretBytes file_key = crypto::RandomSecret(kFileKeySize);
  std::vector<Stanza> stanzas;
  stanzas.reserve(recipients.size());
  for (const X25519PublicKey& r : recipients) {
    CUSTOS_ASSIGN_OR_RETURN(Stanza s, WrapX25519(file_key, r));
    stanzas.push_back(std::move(s));
  }
  std::string header = SerializeHeaderWithoutMac(stanzas);
  const crypto::Digest mac = HeaderMac(file_key, crypto::AsBytes(header));
  header += ' ';
  header += crypto::Base64EncodeNoPad(mac);
  header += '\n';
  std::array<std::uint8_t, kPayloadNonceSize> nonce{};
  crypto::RandomBytes(nonce);
  CUSTOS_TRY(out.Write(crypto::AsBytes(header)));
  CUSTOS_TRY(out.Write(nonce));
  std::unique_ptr<Encryptor> enc(new Encryptor());
  enc->impl_->stream = std::make_unique<StreamWriter>(PayloadKey(file_key, nonce), out);
  return enc;
}

Status Encryptor::Write(std::span<const std::uint8_t> data) { return impl_->stream->Write(data); }
Status Encryptor::Finish() { return impl_->stream->Finish(); }

// ---- Decryptor ------------------------------------------------------------------

struct Decryptor::Impl {
  std::unique_ptr<PrefixedSource> source;
  std::unique_ptr<StreamReader> stream;
  std::uint64_t header_size = 0;
};

Decryptor::Decryptor() : impl_(std::make_unique<Impl>()) {}
Decryptor::~Decryptor() = default;

Result<std::unique_ptr<Decryptor>> Decryptor::Open(ByteSource& in, const SecretBytes& x25519_secret) {
  HeaderReader reader(in);
  CUSTOS_ASSIGN_OR_RETURN(const Header header, reader.Read());
  CUSTOS_ASSIGN_OR_RETURN(const SecretBytes file_key, UnwrapX25519(header, x25519_secret));
  // The spec's order: find the file key first, then authenticate the header.
  const crypto::Digest mac =
      HeaderMac(file_key, reader.header_bytes().first(header.mac_input_size));
  if (!crypto::ConstantTimeEqual(mac, header.mac))
    return Error(ErrorCode::kCorrupt, "the age header MAC does not verify: the header was altered");
  std::unique_ptr<Decryptor> dec(new Decryptor());
  dec->impl_->source = std::make_unique<PrefixedSource>(reader.leftover(), in);
  std::array<std::uint8_t, kPayloadNonceSize> nonce{};
  CUSTOS_TRY(ReadNonce(*dec->impl_->source, nonce));
  dec->impl_->stream = std::make_unique<StreamReader>(PayloadKey(file_key, nonce), *dec->impl_->source);
  dec->impl_->header_size = header.size + kPayloadNonceSize;
  return dec;
}

Result<std::size_t> Decryptor::Read(std::span<std::uint8_t> out) { return impl_->stream->Read(out); }
std::uint64_t Decryptor::header_size() const { return impl_->header_size; }

// ---- InspectHeader ----------------------------------------------------------------

Result<HeaderSummary> InspectHeader(ByteSource& in) {
  HeaderReader reader(in);
  CUSTOS_ASSIGN_OR_RETURN(const Header header, reader.Read());
  CUSTOS_TRY(CheckStanzas(header));
  HeaderSummary summary;
  summary.header_bytes = header.size;
  summary.stanza_types.reserve(header.stanzas.size());
  for (const Stanza& s : header.stanzas) summary.stanza_types.push_back(s.args[0]);
  return summary;
}

}  // namespace custos::age
