// The zstd stage of opening alone (FORMAT.md §4): ZstdDecompressor accepts
// plain, concatenated frames and refuses everything else the bundle format
// excludes — skippable frames, dictionaries, windows over 2^24, a truncated
// frame, bytes after the last frame. (The tar stages are in
// bundle_stages_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "bundle/limits.h"
#include "bundle/zstd_stream.h"

namespace custos::bundle {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes Text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes Append(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes Compress(const Bytes& in) {
  Bytes out(ZSTD_compressBound(in.size()));
  std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Decompresses all of `in`, read `chunk` bytes at a time.
Result<Bytes> Decompress(const Bytes& in, std::size_t chunk = 5) {
  MemorySource src(in, chunk);
  CUSTOS_ASSIGN_OR_RETURN(std::unique_ptr<ZstdDecompressor> d, ZstdDecompressor::Create(src));
  Bytes out;
  std::uint8_t buf[777];
  for (;;) {
    CUSTOS_ASSIGN_OR_RETURN(std::size_t n, d->Read(buf));
    if (n == 0) return out;
    out.insert(out.end(), buf, buf + n);
  }
}

// A skippable frame: magic 0x184D2A50 (little-endian), 32-bit size, payload.
Bytes Skippable() { return {0x50, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'}; }

// A hand-made frame holding "hello" in one raw block:
//   magic 28 B5 2F FD | FHD | window descriptor | [dictionary id] | block
// FHD 0x00: no checksum, no content size, not single-segment; 0x01 adds a
// one-byte dictionary id. Window descriptor 0x00 = 1 KiB. Block header
// 0x29 0x00 0x00 = last block, raw, 5 bytes.
Bytes HandMadeFrame(bool with_dictionary_id) {
  Bytes f = {0x28, 0xB5, 0x2F, 0xFD, static_cast<std::uint8_t>(with_dictionary_id ? 0x01 : 0x00),
             0x00};
  if (with_dictionary_id) f.push_back(0x07);
  Bytes block = {0x29, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'};
  return Append(f, block);
}

void ExpectCorrupt(const Result<Bytes>& r, const std::string& says) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kCorrupt) << r.error().message();
  EXPECT_NE(r.error().message().find(says), std::string::npos) << r.error().message();
}

TEST(ZstdStage, CompressorOutputRoundTrips) {
  Bytes in(300000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i % 251 ^ i >> 11);
  VectorSink sink;
  auto c = ZstdCompressor::Create(sink, 3, 1);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->Write(in).ok());
  ASSERT_TRUE((*c)->Finish().ok());
  auto out = Decompress(sink.bytes, 4096);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, in);
}

TEST(ZstdStage, AcceptsConcatenatedFrames) {
  Bytes in = Append(Append(Compress(Text("hello, ")), Compress(Text("world"))), Compress(Text("!")));
  auto out = Decompress(in);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, Text("hello, world!"));
}

TEST(ZstdStage, AcceptsTheHandMadeFrameWithoutDictionaryId) {
  auto out = Decompress(HandMadeFrame(false));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, Text("hello"));
}

TEST(ZstdStage, RejectsAnEmptyPayload) {
  ExpectCorrupt(Decompress({}), "no zstd frame");
}

TEST(ZstdStage, RejectsASkippableFrameFirst) {
  ExpectCorrupt(Decompress(Append(Skippable(), Compress(Text("x")))), "skippable");
}

TEST(ZstdStage, RejectsASkippableFrameBetweenFrames) {
  Bytes in = Append(Append(Compress(Text("a")), Skippable()), Compress(Text("b")));
  ExpectCorrupt(Decompress(in), "skippable");
}

TEST(ZstdStage, RejectsASkippableFrameAtTheEnd) {
  ExpectCorrupt(Decompress(Append(Compress(Text("a")), Skippable())), "skippable");
}

TEST(ZstdStage, RejectsAFrameWithADictionaryId) {
  ExpectCorrupt(Decompress(HandMadeFrame(true)), "dictionary");
}

TEST(ZstdStage, RejectsATruncatedFrame) {
  Bytes in(100000);
  for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<std::uint8_t>(i * 7919 >> 3);
  Bytes z = Compress(in);
  for (std::size_t cut : {std::size_t{1}, std::size_t{100}, z.size() - 3}) {
    Bytes t(z.begin(), z.end() - static_cast<std::ptrdiff_t>(cut));
    ExpectCorrupt(Decompress(t, 1000), "truncated");
  }
}

TEST(ZstdStage, RejectsATruncatedFrameHeader) {
  Bytes z = Compress(Text("abc"));
  ExpectCorrupt(Decompress(Append(z, Bytes(z.begin(), z.begin() + 5))), "truncated");
}

TEST(ZstdStage, RejectsGarbageAfterTheLastFrame) {
  ExpectCorrupt(Decompress(Append(Compress(Text("evidence")), Text("garbage after it"))),
                "not valid zstd");
}

TEST(ZstdStage, RejectsZerosAfterTheLastFrame) {
  ExpectCorrupt(Decompress(Append(Compress(Text("evidence")), Bytes(64, 0))), "not valid zstd");
}

// Streamed without a pledged size, so zstd keeps the window in the frame
// header instead of shrinking it to fit the input.
Bytes StreamCompress(const Bytes& in, int window_log, bool long_distance) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  EXPECT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, window_log)));
  if (long_distance) {
    EXPECT_FALSE(ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching, 1)));
  }
  Bytes z(ZSTD_compressBound(in.size()) + 64);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{z.data(), z.size(), 0};
  EXPECT_FALSE(ZSTD_isError(ZSTD_compressStream2(cctx, &dst, &src, ZSTD_e_continue)));
  for (int i = 0; i < 100; ++i) {
    std::size_t left = ZSTD_compressStream2(cctx, &dst, &src, ZSTD_e_end);
    if (ZSTD_isError(left) || left == 0) break;
  }
  ZSTD_freeCCtx(cctx);
  z.resize(dst.pos);
  return z;
}

std::uint64_t WindowSize(const Bytes& z) {
  ZSTD_frameHeader fh{};
  EXPECT_EQ(ZSTD_getFrameHeader(&fh, z.data(), z.size()), 0u);
  return fh.windowSize;
}

TEST(ZstdStage, RejectsAWindowOver16MiB) {
  Bytes z = StreamCompress(Bytes(65536, 'w'), 25, /*long_distance=*/true);
  ASSERT_EQ(WindowSize(z), 1ull << 25);
  auto out = Decompress(z);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().code(), ErrorCode::kLimitExceeded) << out.error().message();
  EXPECT_NE(out.error().message().find("window"), std::string::npos);
}

TEST(ZstdStage, AcceptsAWindowOfExactly16MiB) {
  Bytes in(4096, 'v');
  Bytes z = StreamCompress(in, kZstdWindowLogMax, /*long_distance=*/false);
  ASSERT_EQ(WindowSize(z), 1ull << kZstdWindowLogMax);
  auto out = Decompress(z);
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_EQ(*out, in);
}

}  // namespace
}  // namespace custos::bundle
