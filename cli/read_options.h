// Options shared by verify and open: the receiver's key and the senders.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "command.h"
#include "custos/keys.h"
#include "custos/open.h"

namespace custos::cli {

struct ReaderFlags {
  std::string bundle;
  std::string key;
  std::string passphrase_file;
  std::vector<std::string> from;
  std::string trust_dir;
  std::string sig;
  bool json = false;
  bool quiet = false;
  bool allow_example_keys = false;
  int threads = 0;
};

void AddReaderFlags(CLI::App* sub, ReaderFlags* f);

// Loads the receiver key and the --from identities, and fills ReadOptions.
struct LoadedReader {
  std::optional<SecretIdentity> receiver;
  ReadOptions read;
};
Result<LoadedReader> LoadReader(const ReaderFlags& f);

void PrintReport(const BundleReport& r, bool json, const std::string& verdict);

}  // namespace custos::cli
