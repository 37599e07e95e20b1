// `custody show` as a text timeline and as one JSON object.
#include <cstdio>

#include "common/proto_util.h"
#include "common/time_util.h"
#include "custody/render.h"

namespace custos::custody {

namespace {

// Length of a bidi-control or invisible code point starting at s[i] (U+200B–200F,
// U+202A–202E, U+2066–2069, U+FEFF), else 0: a hostile name must not reorder
// or hide what a terminal shows.
std::size_t HiddenCodePoint(std::string_view s, std::size_t i) {
  if (i + 3 > s.size()) return 0;
  const auto b0 = static_cast<unsigned char>(s[i]), b1 = static_cast<unsigned char>(s[i + 1]),
             b2 = static_cast<unsigned char>(s[i + 2]);
  if (b0 == 0xE2 && b1 == 0x80 && ((b2 >= 0x8B && b2 <= 0x8F) || (b2 >= 0xAA && b2 <= 0xAE))) return 3;
  if (b0 == 0xE2 && b1 == 0x81 && b2 >= 0xA6 && b2 <= 0xA9) return 3;
  if (b0 == 0xEF && b1 == 0xBB && b2 == 0xBF) return 3;
  return 0;
}

}  // namespace

std::string SafeText(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    char buf[16];
    if (std::size_t n = HiddenCodePoint(s, i); n > 0) {
      std::snprintf(buf, sizeof buf, "\\x%02x\\x%02x\\x%02x", c, static_cast<unsigned char>(s[i + 1]),
                    static_cast<unsigned char>(s[i + 2]));
      out += buf;
      i += n - 1;
    } else if (c < 0x20 || c == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string ActionName(const v1::Event& e) {
  const std::string& n = v1::Action_Name(e.action());
  return n.empty() ? "ACTION_" + std::to_string(static_cast<int>(e.action())) : n;
}

namespace {

class TextRenderer final : public Renderer {
 public:
  explicit TextRenderer(std::ostream& out) : out_(out) {}
  void Begin(const std::string& log, const Tail& tail) override {
    out_ << "custody log " << SafeText(log) << ": " << tail.count << " events, chain intact, "
         << "every signature valid\n";
    if (tail.count > 0) out_ << "head: " << crypto::Hex(tail.head) << " (event " << tail.count - 1 << ")\n";
  }
  void Event(const ParsedEvent& p, const ActorDirectory& dir) override {
    const v1::Event& e = p.event;
    out_ << "\n#" << e.seq() << "  " << FormatUtc(e.time().seconds()) << "  " << ActionName(e) << "\n"
         << "    actor: " << SafeText(dir.Label(p.actor)) << "\n";
    Line("location", e.location());
    Line("note", e.note());
    Line("authorisation", e.authorisation());
    for (const auto& item : e.items())
      out_ << "    item: " << SafeText(item.path()) << "  sha256 " << HexOf(item.sha256()) << "  ("
           << item.size() << " bytes)\n";
    Line("bundle id", HexOf(e.bundle_id()));
    Line("manifest hash", HexOf(e.manifest_hash()));
    Line("seal hash", HexOf(e.seal_hash()));
    Line("entries digest", HexOf(e.entries_digest()));
    for (const auto& c : e.conditions()) Line("condition", c);
    Line("tool", e.tool());
    out_ << "    event hash: " << crypto::Hex(p.hash) << "\n";
  }
  void End() override {}

 private:
  void Line(const char* label, const std::string& value) {
    if (!value.empty()) out_ << "    " << label << ": " << SafeText(value) << "\n";
  }
  std::ostream& out_;
};

class JsonRenderer final : public Renderer {
 public:
  explicit JsonRenderer(std::ostream& out) : out_(out) {}
  void Begin(const std::string& log, const Tail& tail) override {
    out_ << "{\"log\":" << JsonQuote(log) << ",\"count\":" << tail.count;
    if (tail.count > 0)
      out_ << ",\"head\":\"" << crypto::Hex(tail.head) << "\",\"log_id\":\"" << crypto::Hex(tail.log_id) << "\"";
    out_ << ",\"events\":[";
  }
  void Event(const ParsedEvent& p, const ActorDirectory& dir) override {
    const PublicIdentity* trusted = dir.Find(p.actor.fingerprint());
    out_ << (first_ ? "" : ",") << "{\"seq\":" << p.event.seq() << ",\"hash\":\"" << crypto::Hex(p.hash)
         << "\",\"actor\":{\"fingerprint\":" << JsonQuote(FormatFingerprint(p.actor.fingerprint()))
         << ",\"name\":" << JsonQuote(trusted ? trusted->DisplayName() : p.actor.name())
         << ",\"trusted\":" << (dir.Trusted(p.actor) ? "true" : "false")
         << "},\"event\":" << ToJson(p.event) << "}";
    first_ = false;
  }
  void End() override { out_ << "]}\n"; }

 private:
  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<Renderer> MakeMarkdownRenderer(std::ostream& out);
std::unique_ptr<Renderer> MakeCaseRenderer(std::ostream& out);

std::unique_ptr<Renderer> MakeRenderer(ShowFormat format, std::ostream& out) {
  switch (format) {
    case ShowFormat::kJson: return std::make_unique<JsonRenderer>(out);
    case ShowFormat::kMarkdown: return MakeMarkdownRenderer(out);
    case ShowFormat::kCase: return MakeCaseRenderer(out);
    case ShowFormat::kText: break;
  }
  return std::make_unique<TextRenderer>(out);
}

}  // namespace custos::custody
