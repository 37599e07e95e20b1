// lib/src/keys/trust_store.cpp — the directory of trusted .pub files
// (docs/FORMAT.md "Trust store"). Files are named <fingerprint hex>.pub; a file
// whose name does not match its content is reported as tampered.
#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "crypto/crypto.h"
#include "io/files.h"
#include "custos/keys.h"

namespace custos {
namespace {

std::string EnvOr(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string HomeDir() {
  std::string home = EnvOr("HOME");
  if (!home.empty()) return home;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_dir != nullptr)
    return pw->pw_dir;
  return {};
}


std::string PathFor(const std::string& dir, const Fingerprint& fp) {
  return dir + "/" + crypto::Hex(fp) + ".pub";
}

// Loads one trusted file and checks that its name is its fingerprint.
Result<PublicIdentity> LoadTrusted(const std::string& dir, const std::string& file) {
  const std::string path = dir + "/" + file;
  auto id = PublicIdentity::Load(path);
  if (!id.ok()) return id.error().Wrap("trust store");
  if (file != crypto::Hex(id->fingerprint()) + ".pub")
    return Error(ErrorCode::kCorrupt,
                 "trust store: " + path + " does not hold the identity its name says (it holds " +
                     FormatFingerprint(id->fingerprint()) + ")",
                 "remove the file and add the identity again with 'custos trust add'");
  return id;
}

}  // namespace

std::string TrustStore::DefaultDir() {
  std::string home = EnvOr("CUSTOS_HOME");
  if (home.empty()) {
    std::string xdg = EnvOr("XDG_CONFIG_HOME");
    // The XDG spec says a relative value is to be ignored.
    if (xdg.empty() || xdg[0] != '/') xdg = HomeDir() + "/.config";
    home = xdg + "/custos";
  }
  return home + "/trust";
}

Result<TrustStore> TrustStore::Open(const std::string& dir_in, bool create) {
  TrustStore store;
  store.dir_ = dir_in.empty() ? DefaultDir() : dir_in;
  while (store.dir_.size() > 1 && store.dir_.back() == '/') store.dir_.pop_back();
  const std::string& dir = store.dir_;
  if (create) CUSTOS_TRY(io::MakePrivateDirs(dir));
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT && !create) return store;  // a missing store is empty
    return io::ErrnoError(errno, "trust store " + dir);
  }
  if (!S_ISDIR(st.st_mode)) return Error(ErrorCode::kIo, "trust store " + dir + " is not a directory");
  CUSTOS_TRY(io::CheckNotWritableByOthers("trust store " + dir, dir, st, false));
  // Whoever can write the parent can swap the whole directory, unless sticky.
  const std::string parent = io::DirName(dir);
  struct stat pst {};
  if (::stat(parent.c_str(), &pst) == 0)
    CUSTOS_TRY(io::CheckNotWritableByOthers("trust store " + parent, parent, pst, true));
  return store;
}

Result<std::vector<PublicIdentity>> TrustStore::List() const {
  std::vector<PublicIdentity> out;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return io::ErrnoError(errno, "trust store " + dir_);
  }
  std::vector<std::string> files;
  while (const dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    // Hidden names are atomic-write temporaries (and . / ..).
    if (name.empty() || name[0] == '.') continue;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".pub") == 0) files.push_back(name);
  }
  ::closedir(d);
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    CUSTOS_ASSIGN_OR_RETURN(PublicIdentity id, LoadTrusted(dir_, f));
    out.push_back(std::move(id));
  }
  std::stable_sort(out.begin(), out.end(), [](const PublicIdentity& a, const PublicIdentity& b) {
    return a.name() < b.name();
  });
  return out;
}

Result<std::optional<PublicIdentity>> TrustStore::Find(const Fingerprint& fp) const {
  const std::string file = crypto::Hex(fp) + ".pub";
  if (!io::Exists(dir_ + "/" + file)) return std::optional<PublicIdentity>();
  CUSTOS_ASSIGN_OR_RETURN(PublicIdentity id, LoadTrusted(dir_, file));
  return std::optional<PublicIdentity>(std::move(id));
}

Status TrustStore::Add(const PublicIdentity& id) {
  CUSTOS_ASSIGN_OR_RETURN(auto all, List());
  for (const auto& t : all) {
    if (t.fingerprint() == id.fingerprint()) return Ok();  // already trusted
    const bool ed = crypto::ConstantTimeEqual(t.ed25519_public_key(), id.ed25519_public_key());
    const bool x = crypto::ConstantTimeEqual(t.x25519_public_key(), id.x25519_public_key());
    if (ed || x)
      return Error(ErrorCode::kBadKeyFile,
                   id.DisplayName() + " reuses the " + (ed ? "Ed25519" : "X25519") +
                       " key of trusted identity " + t.DisplayName() + " (" +
                       FormatFingerprint(t.fingerprint()) + ")",
                   "one key must never stand for two identities; check both with their owners");
  }
  CUSTOS_TRY(io::MakePrivateDirs(dir_));
  const std::string text = id.ArmoredText();
  return io::WriteFileAtomic(PathFor(dir_, id.fingerprint()), crypto::AsBytes(text), 0644, false);
}

Status TrustStore::Remove(const Fingerprint& fp) {
  const std::string path = PathFor(dir_, fp);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT)
      return Error(ErrorCode::kNotFound,
                   "no trusted identity has fingerprint " + FormatFingerprint(fp),
                   "'custos trust list' shows the trusted identities");
    return io::ErrnoError(errno, path);
  }
  return Ok();
}

}  // namespace custos
