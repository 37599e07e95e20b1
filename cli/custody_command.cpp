// custos custody append|show|verify|checkpoint — chain-of-custody logs.
// docs/FORMAT.md "Chain-of-custody log"; the library side is custos/custody.h.
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "custos/custody.h"
#include "custos/keys.h"

namespace custos::cli {
namespace {

struct TrustFlags {
  std::vector<std::string> from;
  std::string trust_dir;
  bool allow_example_keys = false;

  custody::TrustSources Sources() const {
    custody::TrustSources s;
    s.from_files = from;
    s.trust_dir = trust_dir;
    // --from pins (as for bundles); naming --trust-dir as well consults both.
    s.use_trust_store = from.empty() || !trust_dir.empty();
    s.allow_example_keys = allow_example_keys;
    return s;
  }
  void Register(CLI::App* sub) {
    sub->add_option("--from", from, "trust the actors in these .pub files (pins: the trust store is "
                                    "then consulted only if --trust-dir is given too); repeatable")
        ->allow_extra_args(false);
    sub->add_option("--trust-dir", trust_dir, "trust store directory (default: " +
                                                  TrustStore::DefaultDir() + ")");
    sub->add_flag("--allow-example-keys", allow_example_keys, kAllowExampleKeysHelp);
  }
};

struct KeyFlags {
  std::string key;
  std::string passphrase_file;
  bool allow_example_keys = false;

  void Register(CLI::App* sub) {
    sub->add_option("-k,--key", key, "your secret key (.key)")->required();
    sub->add_option("--passphrase-file", passphrase_file, kPassphraseFileHelp);
    sub->add_flag("--allow-example-keys", allow_example_keys, kAllowExampleKeysHelp);
  }
  Result<SecretIdentity> Load() const {
    CUSTOS_ASSIGN_OR_RETURN(SecretIdentity id, SecretIdentity::Load(key, PassphraseProviderFor(passphrase_file)));
    std::vector<std::string> warnings;
    CUSTOS_TRY(CheckExampleKey(id.public_identity(), allow_example_keys, &warnings));
    PrintWarnings(warnings);
    return id;
  }
};

struct AppendOptions {
  std::string log;
  KeyFlags key;
  custody::AppendRequest request;
};

Status RunAppend(const AppendOptions& o) {
  // A wrong action is a usage error before anyone is asked for a passphrase.
  CUSTOS_TRY(custody::CanonicalActionName(o.request.action));
  CUSTOS_ASSIGN_OR_RETURN(SecretIdentity actor, o.key.Load());
  CUSTOS_ASSIGN_OR_RETURN(custody::AppendResult r, custody::AppendEvent(o.log, actor, o.request));
  std::cout << "appended event " << r.seq << " (" << r.action << ") to " << o.log << "\n"
            << "event hash: " << r.event_hash << "\n";
  return Ok();
}

struct ShowOptions {
  std::string log;
  bool json = false;
  std::string format = "text";
  TrustFlags trust;
};

Status RunShow(const ShowOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(custody::ShowFormat format,
                          custody::ParseShowFormat(o.json ? std::string("json") : o.format));
  std::vector<std::string> warnings;
  Status st = custody::ShowLog(o.log, format, o.trust.Sources(), std::cout, &warnings);
  std::cout.flush();
  PrintWarnings(warnings);
  return st;
}

struct VerifyOptions {
  std::string log;
  TrustFlags trust;
  custody::VerifyOptions verify;
  bool json = false;
};

Status RunVerify(VerifyOptions o) {
  o.verify.trust = o.trust.Sources();
  auto result = custody::VerifyLog(o.log, o.verify);
  if (!result.ok()) {
    // --json still prints its one object, so scripts can read the verdict.
    if (o.json)
      PrintJson("{\"log\":" + JsonString(o.log) + ",\"ok\":false,\"error\":" +
                JsonString(result.error().message()) + "}");
    return std::move(result).error();
  }
  const custody::VerifyReport& report = *result;
  if (o.json) {
    PrintJson(report.ToJson());
  } else {
    std::cout << report.ToText();
  }
  std::cout.flush();
  PrintWarnings(report.warnings);
  if (report.failure) return *report.failure;
  return Ok();
}

struct CheckpointOptions {
  std::string log;
  KeyFlags key;
  std::string out;
  bool force = false;
};

Status RunCheckpoint(const CheckpointOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(SecretIdentity signer, o.key.Load());
  CUSTOS_ASSIGN_OR_RETURN(custody::CheckpointResult r, custody::WriteCheckpoint(o.log, signer, o.out, o.force));
  std::cout << "checkpoint of " << o.log << " at event " << r.seq << " written to " << o.out << "\n"
            << "head: " << r.head << "\n";
  return Ok();
}

std::string ActionList() {
  std::string s;
  for (const auto& n : custody::ActionNames()) s += (s.empty() ? "" : ", ") + n;
  return s;
}

void AddAppend(CLI::App* custody, Runner* run) {
  auto o = std::make_shared<AppendOptions>();
  auto* sub = custody->add_subcommand("append", "Sign and append one event to a custody log");
  sub->add_option("LOG", o->log, "the custody log (created 0600 if missing)")->required();
  o->key.Register(sub);
  sub->add_option("--action", o->request.action, "one of: " + ActionList())->required();
  sub->add_option("--note", o->request.note, "purpose or note");
  sub->add_option("--location", o->request.location, "where it happened");
  sub->add_option("--authorisation", o->request.authorisation, "warrant or request reference");
  sub->add_option("--item", o->request.items, "a file the event concerns (SHA-256 recorded); repeatable")
      ->allow_extra_args(false);
  sub->footer("Example:\n  custos custody append case.log -k lab.key --action IMAGED \\\n"
              "      --location \"Lab 2, The Hague\" --note \"imaged with write blocker\" --item disk.img");
  sub->callback([run, o] { *run = [o] { return RunAppend(*o); }; });
}

void AddShow(CLI::App* custody, Runner* run) {
  auto o = std::make_shared<ShowOptions>();
  auto* sub = custody->add_subcommand("show", "Verify a custody log and print its timeline");
  sub->add_option("LOG", o->log, "the custody log")->required();
  auto* json = sub->add_flag("--json", o->json, "print one JSON object {\"events\":[...]}");
  sub->add_option("--format", o->format, "text (default), json, markdown (a custody report), "
                                         "case (CASE/UCO JSON-LD)")->excludes(json);
  o->trust.Register(sub);
  sub->footer("Examples:\n  custos custody show case.log\n"
              "  custos custody show case.log --format markdown > custody-report.md\n"
              "  custos custody show case.log --format case > custody.jsonld");
  sub->callback([run, o] { *run = [o] { return RunShow(*o); }; });
}

void AddVerify(CLI::App* custody, Runner* run) {
  auto o = std::make_shared<VerifyOptions>();
  auto* sub = custody->add_subcommand("verify", "Audit a custody log: chain, signatures, actors, anchors");
  sub->add_option("LOG", o->log, "the custody log")->required();
  o->trust.Register(sub);
  sub->add_flag("--strict", o->verify.strict, "fail (exit 1) if an actor or anchor signer is not trusted");
  sub->add_option("--expect-head", o->verify.expect_head,
                  "HASH[:SEQ]: fail unless the log contains this event hash (at SEQ)");
  sub->add_option("--receipt", o->verify.receipts, "a receipt whose custody head the log must extend")
      ->allow_extra_args(false);
  sub->add_option("--checkpoint", o->verify.checkpoints, "a checkpoint whose head the log must extend")
      ->allow_extra_args(false);
  sub->add_flag("--json", o->json, "print one JSON object");
  sub->footer("Exit 0 when the chain is intact and every anchor is extended (unknown actors are\n"
              "named on stderr); 1 when it is broken, an anchored head is missing, or --strict\n"
              "finds an untrusted actor.\nExamples:\n"
              "  custos custody verify received/custos/custody.log --from si.pub --strict\n"
              "  custos custody verify case.log --expect-head 3f2a...e9:41 --checkpoint cp.bin");
  sub->callback([run, o] { *run = [o] { return RunVerify(*o); }; });
}

void AddCheckpoint(CLI::App* custody, Runner* run) {
  auto o = std::make_shared<CheckpointOptions>();
  auto* sub = custody->add_subcommand("checkpoint", "Sign the current head of a custody log");
  sub->add_option("LOG", o->log, "the custody log")->required();
  o->key.Register(sub);
  sub->add_option("-o,--out", o->out, "write the signed checkpoint here")->required();
  sub->add_flag("--force", o->force, "replace an existing checkpoint file");
  sub->footer("Example:\n  custos custody checkpoint case.log -k si.key -o case.checkpoint\n"
              "  later: custos custody verify case.log --checkpoint case.checkpoint");
  sub->callback([run, o] { *run = [o] { return RunCheckpoint(*o); }; });
}

}  // namespace

void AddCustodyCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("custody", "Append to, show, verify and checkpoint chain-of-custody logs");
  sub->require_subcommand(1);
  AddAppend(sub, run);
  AddShow(sub, run);
  AddVerify(sub, run);
  AddCheckpoint(sub, run);
}

}  // namespace custos::cli
