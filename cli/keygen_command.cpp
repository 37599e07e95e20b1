// custos keygen — a new identity: PREFIX.key (secret, 0600) and PREFIX.pub.
// docs/FORMAT.md "Identities and keys".
#include <algorithm>
#include <cctype>
#include <iostream>
#include <memory>

#include "cli_util.h"
#include "command.h"
#include "custos/keys.h"

namespace custos::cli {
namespace {

struct KeygenOptions {
  IdentityInfo info;
  std::string out;
  std::string passphrase_file;
  bool no_passphrase = false;
  bool force = false;
  std::string expires;
};

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// "YYYY-MM-DD" -> midnight UTC of that day.
Result<std::int64_t> ParseDate(const std::string& s) {
  const Error bad(ErrorCode::kUsage, "--expires '" + s.substr(0, 40) + "' is not a date",
                  "write it as YYYY-MM-DD, e.g. 2030-12-31");
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return bad;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return bad;
  const int y = std::stoi(s.substr(0, 4));
  const unsigned m = static_cast<unsigned>(std::stoi(s.substr(5, 2)));
  const unsigned d = static_cast<unsigned>(std::stoi(s.substr(8, 2)));
  static constexpr unsigned kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1 || d > kDays[m - 1]) return bad;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (m == 2 && d == 29 && !leap) return bad;
  return DaysFromCivil(y, m, d) * 86400;
}

Status RefuseExisting(const std::string& path, bool force) {
  if (force || !::custos::cli::FileExists(path)) return Ok();
  return Error(ErrorCode::kExists, path + " already exists",
               "choose another --out, or pass --force to replace it");
}

Status RunKeygen(const KeygenOptions& o) {
  IdentityInfo info = o.info;
  std::transform(info.country.begin(), info.country.end(), info.country.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (!o.expires.empty()) {
    CUSTOS_ASSIGN_OR_RETURN(info.expires, ParseDate(o.expires));
  }
  // Refuse before asking for a passphrase, so nobody types one in vain.
  CUSTOS_TRY(RefuseExisting(o.out + ".key", o.force));
  CUSTOS_TRY(RefuseExisting(o.out + ".pub", o.force));
  CUSTOS_ASSIGN_OR_RETURN(SecretIdentity id, SecretIdentity::Generate(info));
  SecretBytes passphrase;
  if (!o.no_passphrase) {
    if (!o.passphrase_file.empty()) {
      CUSTOS_ASSIGN_OR_RETURN(passphrase, ReadPassphraseFile(o.passphrase_file));
    } else {
      auto p = PromptNewPassphrase();
      if (!p.ok() && p.error().code() == ErrorCode::kNoPassphrase)
        return Error(ErrorCode::kNoPassphrase,
                     "a passphrase for the new key is needed and there is no terminal to ask for it",
                     "pass --passphrase-file FILE, or --no-passphrase to store the key unprotected");
      CUSTOS_ASSIGN_OR_RETURN(passphrase, std::move(p));
    }
  }
  CUSTOS_TRY(id.Save(o.out, o.no_passphrase ? nullptr : &passphrase, o.force));
  const PublicIdentity& pub = id.public_identity();
  if (o.no_passphrase)
    PrintWarning(o.out + ".key is not protected by a passphrase: anyone who can read it holds the key");
  std::cout << "Created " << o.out << ".key (secret: keep it private) and " << o.out
            << ".pub (public: share it) for " << pub.DisplayName() << "\n"
            << "fingerprint: " << FormatFingerprint(pub.fingerprint()) << "\n";
  return Ok();
}

}  // namespace

void AddKeygenCommand(CLI::App& app, Runner* run) {
  auto o = std::make_shared<KeygenOptions>();
  auto* sub = app.add_subcommand("keygen", "Create a new identity: PREFIX.key and PREFIX.pub");
  sub->add_option("--name", o->info.name, "name of the authority or official")->required();
  sub->add_option("--org", o->info.organisation, "organisation");
  sub->add_option("--country", o->info.country, "ISO 3166-1 alpha-2 country code, e.g. SI");
  sub->add_option("--role", o->info.role, "role, e.g. \"central authority\"");
  sub->add_option("--email", o->info.email, "contact e-mail address");
  sub->add_option("--out", o->out, "write PREFIX.key and PREFIX.pub")->required();
  sub->add_option("--expires", o->expires, "expiry date, YYYY-MM-DD (UTC)");
  auto* pf = sub->add_option("--passphrase-file", o->passphrase_file,
                             "read the new passphrase from this file (one trailing newline is removed)");
  auto* np = sub->add_flag("--no-passphrase", o->no_passphrase,
                           "store the secret key unprotected (only on encrypted, access-controlled storage)");
  pf->excludes(np);
  sub->add_flag("--force", o->force, "replace existing PREFIX.key and PREFIX.pub (the old secret key is gone: back it up first; if writing PREFIX.pub then fails, PREFIX.key is already the new one and PREFIX.pub the old)");
  sub->footer(
      "Without --passphrase-file or --no-passphrase, the passphrase is asked twice on the terminal.\n"
      "Example:\n"
      "  custos keygen --name \"Central Authority\" --org \"Ministry of Justice\" --country SI \\\n"
      "                --role \"central authority\" --out si-ca\n"
      "  then send si-ca.pub to the other side and confirm its fingerprint by telephone.");
  sub->callback([run, o] { *run = [o] { return RunKeygen(*o); }; });
}

}  // namespace custos::cli
