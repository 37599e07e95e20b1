// The C2SP CCTV age vectors (npm package `cctv-age`, fetched by
// scripts/fetch-vectors into ${CUSTOS_BINARY_DIR}/vectors/cctv-age).
//
// Each vector is a textual header (`expect:`, `payload:`, `file key:`,
// `identity:`, `passphrase:`, `armored:`, `compressed:`, `comment:`), a blank
// line, then the age file (zlib-compressed when `compressed: zlib`). The npm
// package ships them inside index.js as `// ../testdata/NAME` followed by
// `var NAME_default = __toBinary("<base64>")`; a checkout of the CCTV
// repository has them as files under testdata/. Both layouts are read.
//
// Vectors are classified by the identity they use: X25519 identities run
// (including scrypt_and_x25519 and x25519_grease); vectors needing an identity
// custos does not implement (scrypt passphrase, ML-KEM hybrid) or ASCII armor
// are reported skipped, with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "age/age.h"
#include "crypto/crypto.h"

#ifdef CUSTOS_HAVE_ZLIB
#include <zlib.h>
#endif

namespace custos::age {
namespace {

namespace fs = std::filesystem;
using crypto::Bytes;

const fs::path kVectorDir = fs::path(CUSTOS_BINARY_DIR) / "vectors" / "cctv-age";

struct VectorFile {
  std::string name;
  Bytes bytes;
};
void PrintTo(const VectorFile& v, std::ostream* os) { *os << v.name; }

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The npm layout: base64 blobs inside index.js.
std::vector<VectorFile> LoadFromIndexJs(const std::string& js) {
  std::vector<VectorFile> out;
  constexpr std::string_view kMarker = "// ../testdata/";
  constexpr std::string_view kCall = "__toBinary(\"";
  for (auto pos = js.find(kMarker); pos != std::string::npos; pos = js.find(kMarker, pos + 1)) {
    const auto name_end = js.find('\n', pos);
    const auto call = js.find(kCall, name_end);
    const auto quote = js.find('"', call + kCall.size());
    if (name_end == std::string::npos || call == std::string::npos || quote == std::string::npos)
      break;
    auto bytes = crypto::Base64Decode(
        std::string_view(js).substr(call + kCall.size(), quote - call - kCall.size()));
    if (!bytes.ok()) continue;  // reported by the count check below
    out.push_back({js.substr(pos + kMarker.size(), name_end - pos - kMarker.size()), *bytes});
  }
  return out;
}

std::vector<VectorFile> LoadVectors() {
  std::vector<VectorFile> out;
  std::error_code ec;
  if (fs::is_directory(kVectorDir / "testdata", ec)) {
    for (const auto& e : fs::directory_iterator(kVectorDir / "testdata", ec)) {
      const std::string data = ReadAll(e.path());
      out.push_back({e.path().filename().string(), Bytes(data.begin(), data.end())});
    }
  } else if (fs::exists(kVectorDir / "index.js", ec)) {
    out = LoadFromIndexJs(ReadAll(kVectorDir / "index.js"));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

const std::vector<VectorFile>& Vectors() {
  static const std::vector<VectorFile> v = LoadVectors();
  return v;
}

struct Vector {
  std::multimap<std::string, std::string> fields;
  Bytes file;
  std::string Get(const std::string& k) const {
    auto it = fields.find(k);
    return it == fields.end() ? std::string() : it->second;
  }
};

Vector Parse(const Bytes& raw) {
  Vector v;
  const std::string_view s = crypto::AsChars(raw);
  const auto blank = s.find("\n\n");
  std::size_t pos = 0;
  while (pos < blank) {
    const auto eol = s.find('\n', pos);
    const std::string_view line = s.substr(pos, eol - pos);
    const auto colon = line.find(": ");
    if (colon != std::string_view::npos)
      v.fields.emplace(std::string(line.substr(0, colon)), std::string(line.substr(colon + 2)));
    pos = eol + 1;
  }
  v.file.assign(raw.begin() + static_cast<std::ptrdiff_t>(blank + 2), raw.end());
  return v;
}

#ifdef CUSTOS_HAVE_ZLIB
bool Inflate(Bytes* data) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return false;
  Bytes out;
  std::vector<std::uint8_t> buf(1 << 16);
  zs.next_in = data->data();
  zs.avail_in = static_cast<uInt>(data->size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = buf.data();
    zs.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&zs, Z_NO_FLUSH);
    out.insert(out.end(), buf.data(), buf.data() + (buf.size() - zs.avail_out));
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) return false;
  *data = std::move(out);
  return true;
}
#endif

struct Outcome {
  bool opened = false;  // the header parsed and authenticated
  Status status;
  Bytes released;  // plaintext handed out before the end or a failure
};

Outcome Decrypt(const Bytes& file, const SecretBytes& key) {
  MemorySource src(file);
  auto dec = Decryptor::Open(src, key);
  if (!dec.ok()) return {false, std::move(dec).error(), {}};
  Outcome out{true, Ok(), {}};
  std::vector<std::uint8_t> buf(1 << 16);
  while (true) {
    auto n = (*dec)->Read(buf);
    if (!n.ok()) {
      out.status = std::move(n).error();
      return out;
    }
    if (*n == 0) return out;
    out.released.insert(out.released.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
}

// Like age with several identities: the next one is tried only on "no match".
Outcome DecryptWithAny(const Bytes& file, const std::vector<SecretBytes>& keys) {
  Outcome last;
  for (const SecretBytes& k : keys) {
    last = Decrypt(file, k);
    if (last.opened || last.status.ok() || last.status.error().code() != ErrorCode::kNoMatchingKey)
      return last;
  }
  return last;
}

// Why a vector cannot run here, or empty if it can.
std::string SkipReason(const Vector& v, std::vector<SecretBytes>* keys) {
  if (v.Get("armored") == "yes") return "needs ASCII armor, which custos does not implement";
  bool pq = false;
  for (auto [it, end] = v.fields.equal_range("identity"); it != end; ++it) {
    if (it->second.rfind("AGE-SECRET-KEY-PQ-", 0) == 0) {
      pq = true;
      continue;
    }
    auto key = ParseIdentity(it->second);
    if (!key.ok()) return "identity does not parse: " + key.error().message();
    keys->push_back(std::move(key).value());
  }
  if (!keys->empty()) return {};
  if (pq) return "needs the ML-KEM-768+X25519 hybrid identity, which custos does not implement";
  if (v.fields.count("passphrase") > 0)
    return "needs the scrypt passphrase identity, which custos does not implement";
  // No identity at all: only a header failure makes sense; any key will do.
  if (v.Get("expect") != "header failure") return "vector has no identity";
  keys->push_back(crypto::RandomSecret(32));
  return {};
}

int g_run = 0, g_skipped = 0;

class CctvSummary : public ::testing::Environment {
 public:
  void TearDown() override {
    std::printf("CCTV age vectors: %zu found, %d run and passed-or-failed above, %d skipped\n",
                Vectors().size(), g_run, g_skipped);
  }
};
[[maybe_unused]] auto* const g_summary = ::testing::AddGlobalTestEnvironment(new CctvSummary);

class CctvAge : public ::testing::TestWithParam<VectorFile> {
 protected:
  void SetUp() override { ASSERT_TRUE(crypto::Init().ok()); }
};

void CheckOutcome(const Vector& v, const Outcome& o) {
  const std::string expect = v.Get("expect");
  const std::string what = o.status.ok() ? "success" : o.status.error().message();
  if (expect == "success") {
    ASSERT_TRUE(o.status.ok()) << what;
    EXPECT_EQ(crypto::Hex(crypto::Sha256Of(o.released)), v.Get("payload"));
  } else if (expect == "no match") {
    ASSERT_FALSE(o.status.ok());
    EXPECT_EQ(o.status.error().code(), ErrorCode::kNoMatchingKey) << what;
  } else if (expect == "HMAC failure") {
    ASSERT_FALSE(o.status.ok());
    EXPECT_FALSE(o.opened);
    EXPECT_EQ(o.status.error().code(), ErrorCode::kCorrupt) << what;
    EXPECT_NE(what.find("MAC"), std::string::npos) << what;
  } else if (expect == "header failure") {
    ASSERT_FALSE(o.status.ok());
    EXPECT_FALSE(o.opened) << "the header was accepted; failed later: " << what;
    EXPECT_EQ(o.status.error().code(), ErrorCode::kCorrupt) << what;
  } else if (expect == "payload failure") {
    ASSERT_FALSE(o.status.ok());
    EXPECT_TRUE(o.opened) << "failed in the header: " << what;
    EXPECT_EQ(o.status.error().code(), ErrorCode::kCorrupt) << what;
    // Only whole verified chunks are ever released; the vector names the
    // partial output a streaming reader produces.
    EXPECT_EQ(o.released.size() % kChunkSize, 0u);
    if (!v.Get("payload").empty()) {
      EXPECT_EQ(crypto::Hex(crypto::Sha256Of(o.released)), v.Get("payload"));
    }
  } else {
    FAIL() << "unknown expectation \"" << expect << "\"";
  }
}

TEST_P(CctvAge, Vector) {
  Vector v = Parse(GetParam().bytes);
  std::vector<SecretBytes> keys;
  if (const std::string why = SkipReason(v, &keys); !why.empty()) {
    ++g_skipped;
    GTEST_SKIP() << why;
  }
  if (v.Get("compressed") == "zlib") {
#ifdef CUSTOS_HAVE_ZLIB
    ASSERT_TRUE(Inflate(&v.file)) << "zlib data in the vector does not inflate";
#else
    ++g_skipped;
    GTEST_SKIP() << "vector is zlib-compressed and this build has no zlib";
#endif
  }
  ++g_run;
  SCOPED_TRACE(v.Get("comment"));
  CheckOutcome(v, DecryptWithAny(v.file, keys));
}

INSTANTIATE_TEST_SUITE_P(Cctv, CctvAge, ::testing::ValuesIn(Vectors()),
                         [](const ::testing::TestParamInfo<VectorFile>& p) { return p.param.name; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CctvAge);

// Never pass silently: without the vectors this reports itself skipped, and
// with them it checks the package held what we expect to have read.
TEST(CctvAgeVectors, ArePresent) {
  if (Vectors().empty())
    GTEST_SKIP() << "no CCTV age vectors in " << kVectorDir
                 << ": the npm registry was unreachable (run scripts/fetch-vectors)";
  EXPECT_GE(Vectors().size(), 100u) << "the cctv-age package looks truncated";
  const auto has = [](std::string_view n) {
    return std::any_of(Vectors().begin(), Vectors().end(), [&](const auto& v) { return v.name == n; });
  };
  EXPECT_TRUE(has("x25519"));
  EXPECT_TRUE(has("scrypt_and_x25519"));
  EXPECT_TRUE(has("stream_no_final"));
}

}  // namespace
}  // namespace custos::age
