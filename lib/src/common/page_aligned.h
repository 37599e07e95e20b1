// Page-aligned memory for buffers that may be written or read with O_DIRECT
// (which wants the memory, the length and the file offset aligned to the
// device's logical block size; 4096 covers 512-byte and 4 KiB devices).
#pragma once

#include <cstddef>
#include <new>

namespace custos {

inline constexpr std::size_t kPageAlign = 4096;

template <class T>
struct PageAlignedAllocator {
  using value_type = T;
  PageAlignedAllocator() = default;
  template <class U>
  PageAlignedAllocator(const PageAlignedAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{kPageAlign}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete(p, std::align_val_t{kPageAlign}); }
  template <class U>
  bool operator==(const PageAlignedAllocator<U>&) const { return true; }
};

}  // namespace custos
