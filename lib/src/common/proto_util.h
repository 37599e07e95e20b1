// Strict parsing of signed protobuf bodies and the JSON mapping. FORMAT.md §1.3.
//
// A v1 reader must never silently ignore a field it does not know (it could be a
// v2 restriction), so every signed body is parsed with ParseStrict: size bounded
// before parsing, unknown fields rejected at every nesting level.
#pragma once

#include <google/protobuf/message.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/stream.h"
#include "custos/error.h"

namespace custos {

// Fails (kCorrupt) if `msg` or any message nested in it holds unknown fields.
Status CheckNoUnknownFields(const google::protobuf::Message& msg, std::string_view what);

// Parses `bytes` into `msg`: kLimitExceeded if larger than `limit`, kCorrupt if
// not a valid encoding or if it carries unknown fields. `what` names the object
// in the error ("manifest", "event 7", ...).
Status ParseStrict(std::span<const std::uint8_t> bytes, std::size_t limit,
                   google::protobuf::Message& msg, std::string_view what);

// ParseStrict, and the bytes must be exactly the deterministic serialisation
// of what was parsed. For the unsigned {body, signature} wrappers: their bytes
// are stored and passed on as read, so no second encoding of the same content
// (duplicate fields, reordering, padding) is accepted.
Status ParseCanonical(std::span<const std::uint8_t> bytes, std::size_t limit,
                      google::protobuf::Message& msg, std::string_view what);

// Serialises deterministically (used only when *creating* signed bodies; a
// verifier never re-serialises).
std::string SerializeForSigning(const google::protobuf::Message& msg);

// protobuf's canonical JSON mapping, one object, no trailing newline.
// `pretty` adds whitespace and indentation.
std::string ToJson(const google::protobuf::Message& msg, bool pretty = false);
// The same bytes followed by one newline, written to `out` as they are
// produced (a manifest's JSON is ~200 bytes a file: never held whole).
Status WriteJson(const google::protobuf::Message& msg, bool pretty, ByteSink& out);

// A JSON string literal (quotes included) for text that is not a protobuf
// message: control characters escaped, invalid UTF-8 replaced by U+FFFD, so
// hostile names can never break the JSON.
std::string JsonQuote(std::string_view text);

}  // namespace custos
