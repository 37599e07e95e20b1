// Helpers for the custody log tests: actors, hand-built records, files.
#pragma once

#include <google/protobuf/io/coded_stream.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/proto_util.h"
#include "crypto/domains.h"
#include "custody/log.h"
#include "custos/keys.h"

namespace custos::custody::testing {

inline SecretIdentity NewActor(const std::string& name) {
  IdentityInfo info;
  info.name = name;
  info.organisation = "Test Org";
  info.country = "SI";
  auto id = SecretIdentity::Generate(info);
  EXPECT_TRUE(id.ok());
  return std::move(id).value();
}

inline std::string Frame(const std::string& body) {
  std::uint8_t prefix[10];
  std::uint8_t* end = google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(body.size(), prefix);
  return std::string(reinterpret_cast<char*>(prefix), static_cast<std::size_t>(end - prefix)) + body;
}

// Signs exactly these event bytes (no field filled in) as `signer`.
inline std::string SignRaw(const SecretIdentity& signer, const std::string& event_bytes) {
  v1::SignedEvent se;
  se.set_event(event_bytes);
  auto sig = signer.Sign(domain::kSigEvent, crypto::AsBytes(event_bytes));
  se.set_signature(std::string(crypto::AsChars(sig)));
  return Frame(SerializeForSigning(se));
}

inline v1::Event NoteEvent(const std::string& note, std::int64_t time) {
  v1::Event e;
  e.set_action(v1::NOTE);
  e.set_note(note);
  e.mutable_time()->set_seconds(time);
  return e;
}

// A log built record by record, kept as separate records so tests can break it.
struct Built {
  std::vector<std::string> records;
  Tail tail;
  std::string Joined() const {
    std::string s;
    for (const auto& r : records) s += r;
    return s;
  }
};

inline void Add(Built& b, const SecretIdentity& actor, v1::Event e) {
  auto rec = SignNextEvent(actor, b.tail, std::move(e), &b.tail);
  ASSERT_TRUE(rec.ok()) << rec.error().message();
  b.records.push_back(*rec);
}

// The Event a record holds (record = varint prefix + SignedEvent).
inline v1::Event EventOf(const std::string& record) {
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(record.data()),
                                            static_cast<int>(record.size()));
  std::uint32_t len = 0;
  in.ReadVarint32(&len);
  std::string body;
  in.ReadString(&body, static_cast<int>(len));
  v1::SignedEvent se;
  se.ParseFromString(body);
  v1::Event e;
  e.ParseFromString(se.event());
  return e;
}

inline Status ReadAll(const std::string& log, Tail* tail = nullptr, std::uint64_t* seen = nullptr) {
  MemorySource src(crypto::AsBytes(log));
  return ReadLog(
      src, kMaxLogFileBytes,
      [&](const ParsedEvent&) {
        if (seen) ++*seen;
        return Ok();
      },
      tail);
}

inline std::string TempPath(const std::string& name) {
  auto dir = std::filesystem::path(::testing::TempDir()) /
             ("custody-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void Spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace custos::custody::testing
