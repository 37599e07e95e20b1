// custos/secret_bytes.h — secrets live here and nowhere else.
//
// SecretBytes owns a buffer from sodium_malloc (guarded pages, mlock'd where
// the system allows, wiped on free). It is move-only. The bytes are reachable
// only through Reveal(), so every place that touches a secret is greppable.
// Secrets are never copied into std::string, protobuf messages or logs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace custos {

class SecretBytes {
 public:
  SecretBytes() = default;
  // Allocates `size` zeroed bytes. Aborts if the allocation fails (an
  // out-of-memory for a few bytes of key material is not recoverable).
  explicit SecretBytes(std::size_t size);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The only accessors. Keep the returned span's lifetime within this object's.
  std::span<std::uint8_t> Reveal() { return {data_, size_}; }
  std::span<const std::uint8_t> Reveal() const { return {data_, size_}; }

  // Constant-time equality (sodium_memcmp); false when sizes differ.
  bool Equals(std::span<const std::uint8_t> other) const;

  // A copy in fresh sodium_malloc memory.
  SecretBytes Clone() const;

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace custos
