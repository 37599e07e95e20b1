// cli/cli_util.h — helpers shared by the subcommands: where passphrases come
// from, how warnings and JSON are printed. Thin: no format logic lives here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "custos/error.h"
#include "custos/keys.h"
#include "custos/secret_bytes.h"

namespace custos::cli {

// The passphrase source SECURITY.md describes for every command that loads a
// protected key: `passphrase_file` when non-empty (ReadPassphraseFile: the file
// minus one trailing LF/CRLF), else a prompt without echo on the controlling
// terminal, else kNoPassphrase with a sentence saying how to supply one.
// The provider is called only when a key turns out to be protected.
PassphraseProvider PassphraseProviderFor(const std::string& passphrase_file);

// Asks for a passphrase twice on the terminal without echo (keygen). kUsage
// when the two differ or it is empty; kNoPassphrase when there is no terminal.
Result<SecretBytes> PromptNewPassphrase();

// Prompts once on the controlling terminal (/dev/tty) with echo off.
// kNoPassphrase if there is no terminal.
Result<SecretBytes> PromptPassphrase(std::string_view prompt);

// "custos: warning: <text>" on stderr, one line per warning.
void PrintWarning(std::string_view text);
void PrintWarnings(const std::vector<std::string>& warnings);

// Prints one JSON object and a newline on stdout (the only stdout output of a
// --json command).
void PrintJson(std::string_view json_object);

// True if anything (a file, a link) exists at `path`.
bool FileExists(const std::string& path);

// Escapes a string as a JSON string literal, quotes included.
std::string JsonString(std::string_view s);

// The option every key-taking command registers, with the same help text.
inline constexpr const char* kAllowExampleKeysHelp =
    "accept the public example keys of keys/examples/ (their secret keys are public: "
    "never for real evidence)";
inline constexpr const char* kPassphraseFileHelp =
    "read the key's passphrase from this file (one trailing newline is removed)";

}  // namespace custos::cli
