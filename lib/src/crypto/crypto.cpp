// lib/src/crypto: libsodium and OpenSSL wrappers. See crypto.h.
#include "crypto/crypto.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

namespace custos::crypto {

Status Init() {
  static std::once_flag once;
  static int rc = 0;
  std::call_once(once, [] { rc = sodium_init(); });
  if (rc < 0) return Error(ErrorCode::kInternal, "libsodium could not be initialised");
  return Ok();
}

void RandomBytes(std::span<std::uint8_t> out) { randombytes_buf(out.data(), out.size()); }

// ---- SHA-256 ----------------------------------------------------------------
struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) std::abort();
}
Sha256::~Sha256() {
  if (impl_) EVP_MD_CTX_free(impl_->ctx);
}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::Update(ByteView data) {
  if (!data.empty() && EVP_DigestUpdate(impl_->ctx, data.data(), data.size()) != 1) std::abort();
}

Digest Sha256::Finish() {
  Digest d{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, d.data(), &len) != 1 || len != d.size()) std::abort();
  if (EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) std::abort();
  return d;
}

Digest Sha256Of(ByteView data) {
  Sha256 h;
  h.Update(data);
  return h.Finish();
}

Digest SodiumSha256Of(ByteView data) {
  Digest d{};
  crypto_hash_sha256(d.data(), data.data(), data.size());
  return d;
}

Sha256 DomainHasher(std::string_view prefix) {
  Sha256 h;
  h.Update(prefix);
  const std::uint8_t zero = 0;
  h.Update(ByteView(&zero, 1));
  return h;
}

Digest DomainHash(std::string_view prefix, ByteView data) {
  Sha256 h = DomainHasher(prefix);
  h.Update(data);
  return h.Finish();
}

// ---- HMAC / HKDF ------------------------------------------------------------
Digest HmacSha256(ByteView key, ByteView message) {
  crypto_auth_hmacsha256_state st;
  Digest out{};
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, message.data(), message.size());
  crypto_auth_hmacsha256_final(&st, out.data());
  sodium_memzero(&st, sizeof st);
  return out;
}

// RFC 5869. libsodium 1.0.18 has no HKDF API; this is the RFC's construction on
// its HMAC-SHA-256, checked against the RFC's test vectors in crypto_test.
SecretBytes HkdfSha256(ByteView ikm, ByteView salt, std::string_view info, std::size_t len) {
  if (len > 255 * 32) std::abort();
  SecretBytes prk(32);
  {
    std::uint8_t zeros[32] = {};
    ByteView s = salt.empty() ? ByteView(zeros, 32) : salt;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, s.data(), s.size());
    crypto_auth_hmacsha256_update(&st, ikm.data(), ikm.size());
    crypto_auth_hmacsha256_final(&st, prk.Reveal().data());
    sodium_memzero(&st, sizeof st);
  }
  SecretBytes okm(len);
  SecretBytes t(32);
  std::size_t t_len = 0;
  std::size_t done = 0;
  for (std::uint8_t counter = 1; done < len; ++counter) {
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, prk.Reveal().data(), 32);
    crypto_auth_hmacsha256_update(&st, t.Reveal().data(), t_len);
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const std::uint8_t*>(info.data()),
                                  info.size());
    crypto_auth_hmacsha256_update(&st, &counter, 1);
    crypto_auth_hmacsha256_final(&st, t.Reveal().data());
    sodium_memzero(&st, sizeof st);
    t_len = 32;
    std::size_t n = std::min<std::size_t>(32, len - done);
    std::memcpy(okm.Reveal().data() + done, t.Reveal().data(), n);
    done += n;
  }
  return okm;
}

// ---- Ed25519 ----------------------------------------------------------------
SecretBytes RandomSecret(std::size_t size) {
  SecretBytes s(size);
  randombytes_buf(s.Reveal().data(), size);
  return s;
}

SigningKey Ed25519FromSeed(std::span<const std::uint8_t> seed32) {
  if (seed32.size() != crypto_sign_SEEDBYTES) std::abort();
  SigningKey key{SecretBytes(crypto_sign_SECRETKEYBYTES), {}};
  crypto_sign_seed_keypair(key.public_key.data(), key.secret.Reveal().data(), seed32.data());
  return key;
}

namespace {
Bytes Prefixed(std::string_view prefix, ByteView body) {
  Bytes m;
  m.reserve(prefix.size() + 1 + body.size());
  m.insert(m.end(), prefix.begin(), prefix.end());
  m.push_back(0);
  m.insert(m.end(), body.begin(), body.end());
  return m;
}
}  // namespace

std::array<std::uint8_t, kEd25519SignatureSize> Sign(const SigningKey& key, std::string_view prefix,
                                                     ByteView body) {
  std::array<std::uint8_t, kEd25519SignatureSize> sig{};
  Bytes m = Prefixed(prefix, body);
  crypto_sign_detached(sig.data(), nullptr, m.data(), m.size(), key.secret.Reveal().data());
  return sig;
}

bool Ed25519PublicKeyValid(ByteView pk) {
  return pk.size() == crypto_sign_PUBLICKEYBYTES && crypto_core_ed25519_is_valid_point(pk.data()) == 1;
}

bool Verify(ByteView public_key, std::string_view prefix, ByteView body, ByteView signature) {
  if (!Ed25519PublicKeyValid(public_key) || signature.size() != crypto_sign_BYTES) return false;
  Bytes m = Prefixed(prefix, body);
  return crypto_sign_verify_detached(signature.data(), m.data(), m.size(), public_key.data()) == 0;
}

bool VerifyWithValidatedKey(ByteView public_key, std::string_view prefix, ByteView body,
                            ByteView signature) {
  if (public_key.size() != crypto_sign_PUBLICKEYBYTES || signature.size() != crypto_sign_BYTES) return false;
  Bytes m = Prefixed(prefix, body);
  return crypto_sign_verify_detached(signature.data(), m.data(), m.size(), public_key.data()) == 0;
}

// ---- X25519 -----------------------------------------------------------------
std::array<std::uint8_t, kX25519KeySize> X25519Base(const SecretBytes& secret) {
  std::array<std::uint8_t, kX25519KeySize> pk{};
  if (secret.size() != crypto_scalarmult_SCALARBYTES) std::abort();
  crypto_scalarmult_base(pk.data(), secret.Reveal().data());
  return pk;
}

Result<SecretBytes> X25519(const SecretBytes& secret, ByteView peer_public) {
  if (secret.size() != crypto_scalarmult_SCALARBYTES || peer_public.size() != crypto_scalarmult_BYTES)
    return Error(ErrorCode::kCorrupt, "X25519 key has the wrong length");
  SecretBytes shared(crypto_scalarmult_BYTES);
  // libsodium returns -1 when the result is the all-zero point.
  if (crypto_scalarmult(shared.Reveal().data(), secret.Reveal().data(), peer_public.data()) != 0)
    return Error(ErrorCode::kCorrupt, "X25519 shared secret is all zero (small-order public key)");
  return shared;
}

bool X25519PublicKeyValid(ByteView public_key) {
  if (public_key.size() != crypto_scalarmult_BYTES) return false;
  SecretBytes probe = RandomSecret(crypto_scalarmult_SCALARBYTES);
  return X25519(probe, public_key).ok();
}

// ---- AEAD -------------------------------------------------------------------
void ChaChaSeal(ByteView key, ByteView nonce12, ByteView plaintext, std::uint8_t* out) {
  if (key.size() != kChaChaKeySize || nonce12.size() != kChaChaNonceSize) std::abort();
  unsigned long long clen = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, plaintext.data(), plaintext.size(), nullptr,
                                            0, nullptr, nonce12.data(), key.data());
}

bool ChaChaOpen(ByteView key, ByteView nonce12, ByteView ciphertext, std::uint8_t* out) {
  if (key.size() != kChaChaKeySize || nonce12.size() != kChaChaNonceSize) std::abort();
  if (ciphertext.size() < kAeadTagSize) return false;
  unsigned long long mlen = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, nullptr, ciphertext.data(),
                                                ciphertext.size(), nullptr, 0, nonce12.data(),
                                                key.data()) != 0) {
    sodium_memzero(out, ciphertext.size() - kAeadTagSize);
    return false;
  }
  return true;
}

struct ChaChaPolyEvp::Impl {
  EVP_CIPHER_CTX* enc = nullptr;
  EVP_CIPHER_CTX* dec = nullptr;
  SecretBytes key;
};

ChaChaPolyEvp::ChaChaPolyEvp(ByteView key32) : impl_(std::make_unique<Impl>()) {
  if (key32.size() != kChaChaKeySize) std::abort();
  impl_->key = SecretBytes(kChaChaKeySize);
  std::memcpy(impl_->key.Reveal().data(), key32.data(), kChaChaKeySize);
  impl_->enc = EVP_CIPHER_CTX_new();
  impl_->dec = EVP_CIPHER_CTX_new();
  if (!impl_->enc || !impl_->dec ||
      EVP_EncryptInit_ex(impl_->enc, EVP_chacha20_poly1305(), nullptr, impl_->key.Reveal().data(),
                         nullptr) != 1 ||
      EVP_DecryptInit_ex(impl_->dec, EVP_chacha20_poly1305(), nullptr, impl_->key.Reveal().data(),
                         nullptr) != 1)
    std::abort();
}

ChaChaPolyEvp::~ChaChaPolyEvp() {
  EVP_CIPHER_CTX_free(impl_->enc);
  EVP_CIPHER_CTX_free(impl_->dec);
}

void ChaChaPolyEvp::Seal(ByteView nonce12, ByteView plaintext, std::uint8_t* out) {
  int len = 0;
  EVP_CIPHER_CTX* c = impl_->enc;
  if (nonce12.size() != kChaChaNonceSize || plaintext.size() > (1u << 30)) std::abort();
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, nonce12.data()) != 1) std::abort();
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(c, out, &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1)
    std::abort();
  int fin = 0;
  if (EVP_EncryptFinal_ex(c, out + len, &fin) != 1) std::abort();
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, kAeadTagSize, out + plaintext.size()) != 1)
    std::abort();
}

bool ChaChaPolyEvp::Open(ByteView nonce12, ByteView ciphertext, std::uint8_t* out) {
  if (nonce12.size() != kChaChaNonceSize || ciphertext.size() > (1u << 30)) std::abort();
  if (ciphertext.size() < kAeadTagSize) return false;
  const std::size_t n = ciphertext.size() - kAeadTagSize;
  EVP_CIPHER_CTX* c = impl_->dec;
  int len = 0;
  if (EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, nonce12.data()) != 1) std::abort();
  if (n > 0 && EVP_DecryptUpdate(c, out, &len, ciphertext.data(), static_cast<int>(n)) != 1)
    std::abort();
  std::uint8_t tag[kAeadTagSize];
  std::memcpy(tag, ciphertext.data() + n, kAeadTagSize);
  if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, kAeadTagSize, tag) != 1) std::abort();
  int fin = 0;
  if (EVP_DecryptFinal_ex(c, out + len, &fin) != 1) {
    sodium_memzero(out, n);
    return false;
  }
  return true;
}

Bytes XChaChaSeal(ByteView key, ByteView nonce24, ByteView plaintext, ByteView ad) {
  if (key.size() != 32 || nonce24.size() != kXChaChaNonceSize) std::abort();
  Bytes out(plaintext.size() + kAeadTagSize);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data(), &clen, plaintext.data(), plaintext.size(),
                                             ad.data(), ad.size(), nullptr, nonce24.data(),
                                             key.data());
  return out;
}

Result<SecretBytes> XChaChaOpen(ByteView key, ByteView nonce24, ByteView ciphertext, ByteView ad) {
  if (key.size() != 32 || nonce24.size() != kXChaChaNonceSize || ciphertext.size() < kAeadTagSize)
    return Error(ErrorCode::kBadKeyFile, "encrypted key has the wrong length");
  SecretBytes out(ciphertext.size() - kAeadTagSize);
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(out.Reveal().data(), &mlen, nullptr,
                                                 ciphertext.data(), ciphertext.size(), ad.data(),
                                                 ad.size(), nonce24.data(), key.data()) != 0)
    return Error(ErrorCode::kWrongPassphrase, "wrong passphrase or damaged key file");
  return out;
}

// ---- Argon2id ---------------------------------------------------------------
Result<SecretBytes> Argon2id(const SecretBytes& passphrase, ByteView salt16, std::uint64_t ops,
                             std::uint64_t mem, std::size_t out_len) {
  if (salt16.size() != crypto_pwhash_SALTBYTES)
    return Error(ErrorCode::kBadKeyFile, "Argon2id salt has the wrong length");
  if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > kArgonOpsMax || mem < crypto_pwhash_MEMLIMIT_MIN ||
      mem > kArgonMemMax)
    return Error(ErrorCode::kBadKeyFile, "Argon2id parameters are out of bounds (ops " +
                                             std::to_string(ops) + ", memory " +
                                             std::to_string(mem) + " bytes)");
  SecretBytes out(out_len);
  if (crypto_pwhash(out.Reveal().data(), out_len,
                    reinterpret_cast<const char*>(passphrase.Reveal().data()), passphrase.size(),
                    salt16.data(), ops, static_cast<std::size_t>(mem),
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    return Error(ErrorCode::kIo, "Argon2id ran out of memory");
  return out;
}

// ---- Encodings --------------------------------------------------------------
bool ConstantTimeEqual(ByteView a, ByteView b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Hex(ByteView data) {
  std::string out(data.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data.data(), data.size());
  out.pop_back();
  return out;
}

Result<Bytes> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Error(ErrorCode::kCorrupt, "hex string has an odd length");
  Bytes out(hex.size() / 2);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &len, &end) != 0 ||
      len != out.size() || end != hex.data() + hex.size())
    return Error(ErrorCode::kCorrupt, "not a hex string");
  return out;
}

namespace {
std::string B64Encode(ByteView data, int variant) {
  std::string out(sodium_base64_encoded_len(data.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), data.data(), data.size(), variant);
  out.pop_back();  // the terminating NUL
  return out;
}
Result<Bytes> B64Decode(std::string_view text, int variant) {
  Bytes out(text.size() / 4 * 3 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        variant) != 0 ||
      end != text.data() + text.size())
    return Error(ErrorCode::kCorrupt, "invalid base64");
  out.resize(len);
  return out;
}
}  // namespace

std::string Base64Encode(ByteView d) { return B64Encode(d, sodium_base64_VARIANT_ORIGINAL); }
Result<Bytes> Base64Decode(std::string_view t) {
  return B64Decode(t, sodium_base64_VARIANT_ORIGINAL);
}
std::string Base64EncodeNoPad(ByteView d) {
  return B64Encode(d, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}
Result<Bytes> Base64DecodeNoPad(std::string_view t) {
  return B64Decode(t, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

SecretBytes Base64EncodeSecret(ByteView data) {
  const int variant = sodium_base64_VARIANT_ORIGINAL;
  SecretBytes out(sodium_base64_encoded_len(data.size(), variant));
  sodium_bin2base64(reinterpret_cast<char*>(out.Reveal().data()), out.size(), data.data(),
                    data.size(), variant);
  // Drop the terminating NUL.
  SecretBytes trimmed(out.size() - 1);
  std::memcpy(trimmed.Reveal().data(), out.Reveal().data(), trimmed.size());
  return trimmed;
}

Result<SecretBytes> Base64DecodeSecret(std::string_view text) {
  SecretBytes out(text.size() / 4 * 3 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.Reveal().data(), out.size(), text.data(), text.size(), nullptr, &len,
                        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size())
    return Error(ErrorCode::kCorrupt, "invalid base64");
  SecretBytes trimmed(len);
  if (len > 0) std::memcpy(trimmed.Reveal().data(), out.Reveal().data(), len);
  return trimmed;
}

}  // namespace custos::crypto
