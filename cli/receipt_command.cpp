// custos receipt verify|show — the receipts receivers send back.
// docs/FORMAT.md "Receipts"; the library side is custos/receipt.h.
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "custos/keys.h"
#include "custos/receipt.h"

namespace custos::cli {
namespace {

struct VerifyOptions {
  std::string receipt;
  std::string from;
  std::string bundle;
  std::string sig;
  std::string trust_dir;
  bool json = false;
  bool allow_example_keys = false;
};

constexpr const char* kVerifyHelp =
    "Check a receipt: signed by RECEIVER (--from), naming RECEIVER as the receiver.\n"
    "Without --bundle the receipt alone is checked (signature and contents) and what it\n"
    "attests is printed. With --bundle the bundle file's SHA-256 and size must equal the\n"
    "receipt's; BUNDLE.sig (when present) and the sent register written by 'seal'\n"
    "(CUSTOS_HOME/sent) must agree with it, and RECEIVER must be one of the recipients.\n"
    "Exit 0: valid receipt of a bundle the receiver OPENED. Exit 1: invalid receipt, a\n"
    "receipt for another bundle, a receiver that was not a recipient -- and also a valid\n"
    "NEGATIVE receipt (the receiver reports that verification failed; the reason is printed).\n"
    "Exit 2: usage. Exit 3: RECEIVER is an example key and --allow-example-keys was not\n"
    "given. Exit 4: a file cannot be read.\n"
    "Examples:\n"
    "  custos receipt verify receipt.pb --from nl.pub\n"
    "  custos receipt verify receipt.pb --from nl.pub --bundle case.custos --json";

// A valid negative receipt is a signed statement that the bundle did not
// arrive intact: scripts must not mistake it for success, so exit 1.
Status NegativeError(const ReceiptVerdict& v) {
  return Error(ErrorCode::kCorrupt, "receiver reports verification failed: " + v.reason,
               "the receipt itself is valid; send the bundle again or ask the receiver");
}

Status RunVerify(const VerifyOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(PublicIdentity receiver, PublicIdentity::Load(o.from));
  ReceiptVerifyOptions opts;
  opts.receipt_path = o.receipt;
  opts.receiver = &receiver;
  opts.allow_example_keys = o.allow_example_keys;
  opts.bundle_path = o.bundle;
  opts.sig_path = o.sig;
  opts.trust_dir = o.trust_dir;
  CUSTOS_ASSIGN_OR_RETURN(ReceiptVerdict v, VerifyReceiptFile(opts));
  PrintWarnings(v.warnings);
  if (o.json) {
    PrintJson(v.json);
  } else {
    for (const auto& line : v.summary) std::cout << line << "\n";
  }
  if (v.negative) return NegativeError(v);
  return Ok();
}

struct ShowOptions {
  std::string receipt;
  bool json = false;
};

Status RunShow(const ShowOptions& o) {
  CUSTOS_ASSIGN_OR_RETURN(ReceiptVerdict v, ShowReceiptFile(o.receipt));
  PrintWarnings(v.warnings);
  if (o.json) {
    PrintJson(v.json);
  } else {
    for (const auto& line : v.summary) std::cout << line << "\n";
  }
  return Ok();
}

void AddVerify(CLI::App* parent, Runner* run) {
  auto o = std::make_shared<VerifyOptions>();
  auto* sub = parent->add_subcommand("verify", "check a receipt a receiver sent back");
  sub->footer(kVerifyHelp);
  sub->add_option("RECEIPT", o->receipt, "the receipt file (receipt.pb)")->required();
  sub->add_option("--from", o->from, "the receiver's public identity (.pub): who must have signed it")
      ->required();
  sub->add_option("--bundle", o->bundle, "the bundle file the receipt should acknowledge");
  sub->add_option("--sig", o->sig, "the bundle's transport signature (default: BUNDLE.sig if present)")
      ->needs(sub->get_option("--bundle"));
  sub->add_option("--trust-dir", o->trust_dir,
                  "trust store used to verify BUNDLE.sig (default: " + TrustStore::DefaultDir() + ")");
  sub->add_flag("--json", o->json, "print one JSON object (ReceiptReport) on stdout");
  sub->add_flag("--allow-example-keys", o->allow_example_keys, kAllowExampleKeysHelp);
  sub->callback([o, run] { *run = [o] { return RunVerify(*o); }; });
}

void AddShow(CLI::App* parent, Runner* run) {
  auto o = std::make_shared<ShowOptions>();
  auto* sub = parent->add_subcommand("show", "print what a receipt says (signature NOT checked)");
  sub->add_option("RECEIPT", o->receipt, "the receipt file (receipt.pb)")->required();
  sub->add_flag("--json", o->json, "print one JSON object (ReceiptReport) on stdout");
  sub->footer(
      "Example:\n"
      "  custos receipt show receipt.pb\n"
      "Exit: 0 shown, 1 not a receipt (or over its size), 2 usage, 4 input/output.");
  sub->callback([o, run] { *run = [o] { return RunShow(*o); }; });
}

}  // namespace

void AddReceiptCommand(CLI::App& app, Runner* run) {
  auto* sub = app.add_subcommand("receipt", "check receipts receivers send back");
  sub->require_subcommand(1);
  AddVerify(sub, run);
  AddShow(sub, run);
}

}  // namespace custos::cli
