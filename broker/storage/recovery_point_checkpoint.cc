#include "broker/storage/recovery_point_checkpoint.h"

#include <charconv>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace runnel::broker {
namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty()) return false;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t at = text.find(separator, start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

}  // namespace

Result<RecoveryPointCheckpoint::Offsets> RecoveryPointCheckpoint::read(
    FileSystem& fs, const std::filesystem::path& data_dir) {
  const std::filesystem::path path = data_dir / kFileName;
  Offsets offsets;
  Result<Bytes> contents = read_whole_file(fs, path);
  if (!contents.ok()) {
    if (contents.status().code() == StatusCode::kNotFound) return offsets;
    return contents.status();
  }
  const std::string_view text(reinterpret_cast<const char*>(contents->data()), contents->size());
  std::vector<std::string_view> lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  const auto bad = [&](std::string_view why) {
    return corruption_error(fmt::format("{}: {}", path.string(), why));
  };
  int version = -1;
  size_t count = 0;
  if (lines.size() < 2 || !parse_number(lines[0], version) || version != 0) {
    return bad("no version 0 line");
  }
  if (!parse_number(lines[1], count) || count != lines.size() - 2) {
    return bad("the count line does not match the entries");
  }
  for (size_t i = 2; i < lines.size(); ++i) {
    const std::vector<std::string_view> fields = split(lines[i], ' ');
    int32_t partition = -1;
    int64_t offset = -1;
    if (fields.size() != 3 || fields[0].empty() || !parse_number(fields[1], partition) ||
        partition < 0 || !parse_number(fields[2], offset) || offset < 0) {
      return bad(fmt::format("line {} is not `topic partition offset`", i + 1));
    }
    offsets[{std::string(fields[0]), partition}] = offset;
  }
  return offsets;
}

Status RecoveryPointCheckpoint::write(FileSystem& fs, const std::filesystem::path& data_dir,
                                      const Offsets& offsets) {
  std::string text = fmt::format("0\n{}\n", offsets.size());
  for (const auto& [partition, offset] : offsets) {
    text += fmt::format("{} {} {}\n", partition.first, partition.second, offset);
  }
  return write_file_atomically(
      fs, data_dir / kFileName,
      BytesView(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace runnel::broker
