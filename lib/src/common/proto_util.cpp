#include "common/proto_util.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver_util.h>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace custos {

Status CheckNoUnknownFields(const google::protobuf::Message& msg, std::string_view what) {
  const google::protobuf::Reflection* r = msg.GetReflection();
  if (!r->GetUnknownFields(msg).empty())
    return Error(ErrorCode::kCorrupt,
                 std::string(what) + " carries fields this version of custos does not know",
                 "it may come from a newer version of custos; upgrade to read it");
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  r->ListFields(msg, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      int n = r->FieldSize(msg, f);
      for (int i = 0; i < n; ++i) CUSTOS_TRY(CheckNoUnknownFields(r->GetRepeatedMessage(msg, f, i), what));
    } else {
      CUSTOS_TRY(CheckNoUnknownFields(r->GetMessage(msg, f), what));
    }
  }
  return Ok();
}

Status ParseStrict(std::span<const std::uint8_t> bytes, std::size_t limit,
                   google::protobuf::Message& msg, std::string_view what) {
  if (bytes.size() > limit)
    return Error(ErrorCode::kLimitExceeded, std::string(what) + " is " +
                                                std::to_string(bytes.size()) +
                                                " bytes, over the limit of " +
                                                std::to_string(limit));
  google::protobuf::io::CodedInputStream in(bytes.data(), static_cast<int>(bytes.size()));
  in.SetRecursionLimit(16);
  if (!msg.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    return Error(ErrorCode::kCorrupt, std::string(what) + " is not a valid encoding");
  return CheckNoUnknownFields(msg, what);
}

Status ParseCanonical(std::span<const std::uint8_t> bytes, std::size_t limit,
                      google::protobuf::Message& msg, std::string_view what) {
  CUSTOS_TRY(ParseStrict(bytes, limit, msg, what));
  const std::string canonical = SerializeForSigning(msg);
  if (canonical.size() != bytes.size() ||
      !std::equal(canonical.begin(), canonical.end(), reinterpret_cast<const char*>(bytes.data())))
    return Error(ErrorCode::kCorrupt, std::string(what) +
                                          " is not in its canonical encoding (bytes outside the "
                                          "signature were added or rearranged)");
  return Ok();
}

std::string SerializeForSigning(const google::protobuf::Message& msg) {
  std::string out;
  // Room for the whole message at once: the stream would otherwise double
  // the string as it goes (a manifest is ~100 bytes a file).
  out.reserve(msg.ByteSizeLong() + 64);
  google::protobuf::io::StringOutputStream sos(&out);
  google::protobuf::io::CodedOutputStream cos(&sos);
  cos.SetSerializationDeterministic(true);
  msg.SerializeToCodedStream(&cos);
  cos.Trim();
  return out;
}

namespace {

// The one JSON style of custos's output (ToJson and WriteJson agree byte for byte).
google::protobuf::util::JsonPrintOptions JsonOptions(bool pretty) {
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = pretty;
  opts.preserve_proto_field_names = true;
  return opts;
}

}  // namespace

std::string ToJson(const google::protobuf::Message& msg, bool pretty) {
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(msg, &out, JsonOptions(pretty));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

namespace {

// protobuf's copying output stream over a ByteSink; remembers the first error
// and the last byte written.
class SinkOutput final : public google::protobuf::io::CopyingOutputStream {
 public:
  explicit SinkOutput(ByteSink& out) : out_(out) {}
  bool Write(const void* buffer, int size) override {
    if (!status_.ok()) return false;
    if (size <= 0) return true;
    status_ = out_.Write({static_cast<const std::uint8_t*>(buffer), static_cast<std::size_t>(size)});
    last_ = static_cast<const char*>(buffer)[size - 1];
    return status_.ok();
  }
  Status status_;
  char last_ = 0;

 private:
  ByteSink& out_;
};

}  // namespace

Status WriteJson(const google::protobuf::Message& msg, bool pretty, ByteSink& out) {
  static const std::string kPrefix = "type.googleapis.com";
  std::unique_ptr<google::protobuf::util::TypeResolver> resolver(
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          kPrefix, msg.GetDescriptor()->file()->pool()));
  std::string binary;
  if (!msg.SerializeToString(&binary)) return Error(ErrorCode::kInternal, "JSON: cannot serialise");
  google::protobuf::io::ArrayInputStream in(binary.data(), static_cast<int>(binary.size()));
  SinkOutput sink(out);
  const auto opts = JsonOptions(pretty);
  {
    google::protobuf::io::CopyingOutputStreamAdaptor adaptor(&sink, 64 * 1024);
    auto st = google::protobuf::util::BinaryToJsonStream(
        resolver.get(), kPrefix + "/" + msg.GetDescriptor()->full_name(), &in, &adaptor, opts);
    if (!adaptor.Flush() && sink.status_.ok())
      return Error(ErrorCode::kInternal, "JSON: output failed");
    CUSTOS_TRY(sink.status_);
    if (!st.ok()) return Error(ErrorCode::kInternal, "JSON: " + st.ToString());
  }
  if (sink.last_ != '\n') return out.Write({reinterpret_cast<const std::uint8_t*>("\n"), 1});
  return Ok();
}

namespace {
// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t Utf8Length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const std::size_t left = s.size() - i;
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || left < n) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((b(k) & 0xC0) != 0x80) return 0;
  if (n == 3 && ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) >= 0xA0))) return 0;
  if (n == 4 && ((c == 0xF0 && b(1) < 0x90) || (c == 0xF4 && b(1) >= 0x90))) return 0;
  return n;
}
}  // namespace

std::string JsonQuote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = Utf8Length(s, i);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (n > 1) {
      out.append(s.substr(i, n));
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
    i += n;
  }
  return out + "\"";
}

}  // namespace custos
