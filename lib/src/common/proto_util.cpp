#include "common/proto_util.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/json_util.h>

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

std::string SerializeForSigning(const google::protobuf::Message& msg) {
  std::string out;
  google::protobuf::io::StringOutputStream sos(&out);
  google::protobuf::io::CodedOutputStream cos(&sos);
  cos.SetSerializationDeterministic(true);
  msg.SerializeToCodedStream(&cos);
  cos.Trim();
  return out;
}

std::string ToJson(const google::protobuf::Message& msg, bool pretty) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.add_whitespace = pretty;
  opts.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(msg, &out, opts);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace custos
