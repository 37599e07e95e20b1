// Renderers for `custody show`: one event at a time, so memory does not grow
// with the log. The caller verified the whole log first (nothing is written
// for a broken log) and passes its tail to Begin.
#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "custody/actors.h"
#include "custody/log.h"
#include "custos/custody.h"

namespace custos::custody {

class Renderer {
 public:
  virtual ~Renderer() = default;
  virtual void Begin(const std::string& log, const Tail& tail) = 0;
  virtual void Event(const ParsedEvent& e, const ActorDirectory& dir) = 0;
  virtual void End() = 0;
};

std::unique_ptr<Renderer> MakeRenderer(ShowFormat format, std::ostream& out);

// Log text made safe for a terminal: control bytes and bidi/invisible code
// points (U+200B–200F, U+202A–202E, U+2066–2069, U+FEFF) as \xNN escapes.
std::string SafeText(std::string_view s);
std::string ActionName(const v1::Event& e);

}  // namespace custos::custody
