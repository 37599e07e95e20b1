// `custody show --format markdown` (a custody report for a court file) and
// `--format case` (CASE/UCO JSON-LD: one InvestigativeAction per event, with
// its performer, the objects' SHA-256 hashes and its time).
#include <set>

#include "common/time_util.h"
#include "custody/render.h"

namespace custos::custody {
namespace {

// Markdown inline text: escapes what would change the rendering, one line.
std::string Md(std::string_view s) {
  std::string out;
  for (char c : SafeText(s)) {
    if (std::string_view("\\`*_[]<>|#").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

class MarkdownRenderer final : public Renderer {
 public:
  explicit MarkdownRenderer(std::ostream& out) : out_(out) {}
  void Begin(const std::string& log, const Tail& tail) override {
    out_ << "# Chain-of-custody report\n\n"
         << "| | |\n|---|---|\n"
         << "| Log | " << Md(log) << " |\n"
         << "| Events | " << tail.count << " |\n";
    if (tail.count > 0)
      out_ << "| Log id (hash of event 0) | `" << crypto::Hex(tail.log_id) << "` |\n"
           << "| Head (hash of event " << tail.count - 1 << ") | `" << crypto::Hex(tail.head) << "` |\n";
    out_ << "| Checked | sequence numbers, hash links and every actor's signature: intact |\n"
         << "| Report made | " << FormatUtc(NowUnix()) << " by " << kToolName << " |\n\n"
         << "Times are those recorded by each actor. Names marked *unverified* are not "
            "confirmed by a trusted identity file.\n\n## Events\n";
  }
  void Event(const ParsedEvent& p, const ActorDirectory& dir) override {
    const v1::Event& e = p.event;
    out_ << "\n### Event " << e.seq() << " — " << ActionName(e) << "\n\n"
         << "- **Time (UTC):** " << FormatUtc(e.time().seconds()) << "\n"
         << "- **Actor:** " << Md(dir.Label(p.actor)) << "\n"
         << "- **Actor fingerprint:** `" << FormatFingerprint(p.actor.fingerprint()) << "`\n";
    Field("Location", e.location());
    Field("Note", e.note());
    Field("Authorisation", e.authorisation());
    if (!e.bundle_id().empty()) out_ << "- **Bundle id:** `" << HexOf(e.bundle_id()) << "`\n";
    for (const auto& item : e.items())
      out_ << "- **Item:** " << Md(item.path()) << " — SHA-256 `" << HexOf(item.sha256()) << "`, "
           << item.size() << " bytes\n";
    for (const auto& c : e.conditions()) Field("Condition", c);
    out_ << "- **Event hash:** `" << crypto::Hex(p.hash) << "`\n";
  }
  void End() override {}

 private:
  void Field(const char* label, const std::string& v) {
    if (!v.empty()) out_ << "- **" << label << ":** " << Md(v) << "\n";
  }
  std::ostream& out_;
};

std::string TypedTime(std::int64_t seconds) {
  return "{\"@type\":\"xsd:dateTime\",\"@value\":\"" + FormatUtc(seconds) + "\"}";
}

class CaseRenderer final : public Renderer {
 public:
  explicit CaseRenderer(std::ostream& out) : out_(out) {}
  void Begin(const std::string&, const Tail&) override {
    out_ << "{\"@context\":{"
            "\"kb\":\"urn:custos:kb:\","
            "\"case-investigation\":\"https://ontology.caseontology.org/case/investigation/\","
            "\"uco-action\":\"https://ontology.unifiedcyberontology.org/uco/action/\","
            "\"uco-core\":\"https://ontology.unifiedcyberontology.org/uco/core/\","
            "\"uco-identity\":\"https://ontology.unifiedcyberontology.org/uco/identity/\","
            "\"uco-location\":\"https://ontology.unifiedcyberontology.org/uco/location/\","
            "\"uco-observable\":\"https://ontology.unifiedcyberontology.org/uco/observable/\","
            "\"uco-types\":\"https://ontology.unifiedcyberontology.org/uco/types/\","
            "\"uco-vocabulary\":\"https://ontology.unifiedcyberontology.org/uco/vocabulary/\","
            "\"xsd\":\"http://www.w3.org/2001/XMLSchema#\"},\"@graph\":[";
  }
  void Event(const ParsedEvent& p, const ActorDirectory& dir) override {
    const v1::Event& e = p.event;
    const std::string id = crypto::Hex(p.hash);
    const std::string performer = "kb:identity-" + crypto::Hex(p.actor.fingerprint());
    if (performers_.size() < 4096 && performers_.insert(performer).second) {
      const PublicIdentity* t = dir.Find(p.actor.fingerprint());
      Node("{\"@id\":\"" + performer + "\",\"@type\":\"uco-identity:Identity\",\"uco-core:name\":" +
           JsonQuote(t ? t->DisplayName() : p.actor.name() + " (unverified)") + "}");
    }
    std::string objects;
    for (int i = 0; i < e.items_size(); ++i) {
      const std::string file = "kb:file-" + id + "-" + std::to_string(i);
      objects += (i ? "," : "") + std::string("{\"@id\":\"") + file + "\"}";
      Node(FileNode(file, e.items(i)));
    }
    std::string action = "{\"@id\":\"kb:investigative-action-" + id +
                         "\",\"@type\":\"case-investigation:InvestigativeAction\",\"uco-core:name\":" +
                         JsonQuote(ActionName(e)) + ",\"uco-action:startTime\":" +
                         TypedTime(e.time().seconds()) + ",\"uco-action:endTime\":" +
                         TypedTime(e.time().seconds()) + ",\"uco-action:performer\":{\"@id\":\"" +
                         performer + "\"}";
    std::string desc = e.note();
    if (!e.authorisation().empty()) desc += (desc.empty() ? "" : "; ") + ("authorisation: " + e.authorisation());
    if (!desc.empty()) action += ",\"uco-core:description\":" + JsonQuote(desc);
    if (!objects.empty()) action += ",\"uco-action:object\":[" + objects + "]";
    if (!e.location().empty()) {
      const std::string loc = "kb:location-" + id;
      Node("{\"@id\":\"" + loc + "\",\"@type\":\"uco-location:Location\",\"uco-core:description\":" +
           JsonQuote(e.location()) + "}");
      action += ",\"uco-action:location\":{\"@id\":\"" + loc + "\"}";
    }
    Node(action + "}");
  }
  void End() override { out_ << "]}\n"; }

 private:
  static std::string FileNode(const std::string& file, const v1::ItemDigest& item) {
    const std::string sha = HexOf(item.sha256());
    return "{\"@id\":\"" + file + "\",\"@type\":\"uco-observable:File\",\"uco-core:hasFacet\":[" +
           "{\"@id\":\"" + file + "-file-facet\",\"@type\":\"uco-observable:FileFacet\"," +
           "\"uco-observable:fileName\":" + JsonQuote(item.path()) +
           ",\"uco-observable:sizeInBytes\":{\"@type\":\"xsd:integer\",\"@value\":\"" +
           std::to_string(item.size()) + "\"}},{\"@id\":\"" + file +
           "-content-facet\",\"@type\":\"uco-observable:ContentDataFacet\",\"uco-observable:hash\":[{" +
           "\"@id\":\"" + file + "-sha256\",\"@type\":\"uco-types:Hash\",\"uco-types:hashMethod\":" +
           "{\"@type\":\"uco-vocabulary:HashNameVocab\",\"@value\":\"SHA256\"}," +
           "\"uco-types:hashValue\":{\"@type\":\"xsd:hexBinary\",\"@value\":\"" + sha + "\"}}]}]}";
  }
  void Node(const std::string& json) {
    out_ << (first_ ? "" : ",") << json;
    first_ = false;
  }
  std::ostream& out_;
  bool first_ = true;
  std::set<std::string> performers_;
};

}  // namespace

std::unique_ptr<Renderer> MakeMarkdownRenderer(std::ostream& out) {
  return std::make_unique<MarkdownRenderer>(out);
}
std::unique_ptr<Renderer> MakeCaseRenderer(std::ostream& out) { return std::make_unique<CaseRenderer>(out); }

}  // namespace custos::custody
