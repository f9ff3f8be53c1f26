#include "tools/record_format.h"

#include <cctype>

namespace runnel::tools {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string length_of(const NullableBytesView& bytes) {
  return bytes ? std::to_string(bytes->size()) : "-1";
}

}  // namespace

Result<RecordFormat> RecordFormat::parse(std::string_view format) {
  RecordFormat result;
  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    result.pieces_.push_back({0, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < format.size(); ++i) {
    const char c = format[i];
    if (c == '%') {
      if (i + 1 == format.size()) return invalid_argument_error("--format ends in a lone %");
      const char token = format[++i];
      if (token == '%') {
        literal.push_back('%');
        continue;
      }
      if (std::string_view("tpoTkKsSh").find(token) == std::string_view::npos) {
        return invalid_argument_error(std::string("--format: unknown token %") + token +
                                      " (known: %t %p %o %T %k %K %s %S %h %%)");
      }
      flush_literal();
      result.pieces_.push_back({token, {}});
    } else if (c == '\\') {
      if (i + 1 == format.size()) return invalid_argument_error("--format ends in a lone \\");
      const char escape = format[++i];
      switch (escape) {
        case 'n':
          literal.push_back('\n');
          break;
        case 'r':
          literal.push_back('\r');
          break;
        case 't':
          literal.push_back('\t');
          break;
        case '\\':
          literal.push_back('\\');
          break;
        case 'x': {
          const int high = i + 1 < format.size() ? hex_digit(format[i + 1]) : -1;
          const int low = i + 2 < format.size() ? hex_digit(format[i + 2]) : -1;
          if (high < 0 || low < 0) {
            return invalid_argument_error("--format: \\x needs two hex digits");
          }
          literal.push_back(static_cast<char>(high * 16 + low));
          i += 2;
          break;
        }
        default:
          return invalid_argument_error(std::string("--format: unknown escape \\") + escape +
                                        " (known: \\n \\r \\t \\\\ \\xHH)");
      }
    } else {
      literal.push_back(c);
    }
  }
  flush_literal();
  return result;
}

RecordFormat RecordFormat::json() {
  RecordFormat result;
  result.json_ = true;
  return result;
}

std::string RecordFormat::render(const client::ConsumerRecord& record,
                                 const RecordDecoder& key_decoder,
                                 const RecordDecoder& value_decoder) const {
  if (json_) {
    nlohmann::json headers = nlohmann::json::array();
    for (const Header& header : record.headers()) {
      nlohmann::json value = nullptr;
      if (header.value) value = std::string(header.value->view().as_string_view());
      headers.push_back({{"key", header.key}, {"value", std::move(value)}});
    }
    // Written field by field to keep the order a reader expects (nlohmann's objects sort
    // their keys). Bytes that are not UTF-8 (a string-typed binary value) become U+FFFD.
    auto dump = [](const nlohmann::json& value) {
      return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    return "{\"topic\":" + dump(std::string(record.topic())) +
           ",\"partition\":" + std::to_string(record.partition()) +
           ",\"offset\":" + std::to_string(record.offset()) +
           ",\"timestamp\":" + std::to_string(record.timestamp()) +
           ",\"key\":" + dump(key_decoder.decode(record.key()).json) +
           ",\"value\":" + dump(value_decoder.decode(record.value()).json) +
           ",\"headers\":" + dump(headers) + "}\n";
  }
  std::string out;
  for (const Piece& piece : pieces_) {
    switch (piece.token) {
      case 0:
        out += piece.literal;
        break;
      case 't':
        out += record.topic();
        break;
      case 'p':
        out += std::to_string(record.partition());
        break;
      case 'o':
        out += std::to_string(record.offset());
        break;
      case 'T':
        out += std::to_string(record.timestamp());
        break;
      case 'k':
        out += key_decoder.decode(record.key()).text;
        break;
      case 's':
        out += value_decoder.decode(record.value()).text;
        break;
      case 'K':
        out += length_of(record.key());
        break;
      case 'S':
        out += length_of(record.value());
        break;
      case 'h': {
        bool first = true;
        for (const Header& header : record.headers()) {
          if (!first) out += ',';
          first = false;
          out += header.key;
          out += '=';
          if (header.value) out += header.value->view().as_string_view();
        }
        break;
      }
    }
  }
  return out;
}

}  // namespace runnel::tools
