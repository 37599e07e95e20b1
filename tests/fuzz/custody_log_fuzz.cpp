// libFuzzer target: ReadLog (lib/src/custody/reader.cpp) on arbitrary bytes.
// Every record is length-checked, strictly parsed and verified; nothing the
// input says may crash the reader or make it allocate beyond its limits.
#include <cstddef>
#include <cstdint>

#include "crypto/crypto.h"
#include "custody/log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool init = custos::crypto::Init().ok();
  if (!init) return 0;
  custos::custody::MemorySource src(custos::crypto::ByteView(data, size));
  custos::custody::Tail tail;
  std::uint64_t seen = 0;
  (void)custos::custody::ReadLog(
      src, 1 << 20,
      [&](const custos::custody::ParsedEvent& e) {
        // What a consumer would touch: the hash, the actor, the fields.
        seen += e.event.seq() + e.actor.name().size() + e.hash[0];
        return custos::Ok();
      },
      &tail);
  return 0;
}
