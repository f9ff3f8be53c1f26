#include "broker/security/tls_principal.h"

#include <array>
#include <memory>

#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

namespace runnel::broker {
namespace {

// The attribute keywords Java's RFC 2253 writer uses; every other attribute is written as
// its OID.
const char* java_keyword(int nid) {
  switch (nid) {
    case NID_commonName:
      return "CN";
    case NID_countryName:
      return "C";
    case NID_localityName:
      return "L";
    case NID_stateOrProvinceName:
      return "ST";
    case NID_organizationName:
      return "O";
    case NID_organizationalUnitName:
      return "OU";
    case NID_streetAddress:
      return "STREET";
    case NID_domainComponent:
      return "DC";
    case NID_userId:
      return "UID";
    default:
      return nullptr;
  }
}

// Java's escaping (sun.security.x509.AVA.toRFC2253String): a backslash before each of
// ",=+<>#;\"\\" wherever it is, and before leading and trailing spaces and carriage returns;
// NUL as "\00"; everything else, UTF-8 included, as it is.
std::string escape_value(std::string_view value) {
  constexpr std::string_view kEscapees = ",=+<>#;\"\\";
  const size_t lead = value.find_first_not_of(" \r");
  const size_t trail = value.find_last_not_of(" \r");
  std::string escaped;
  escaped.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\0') {
      escaped += "\\00";
      continue;
    }
    const bool edge = lead == std::string_view::npos || i < lead || i > trail;
    if (edge || kEscapees.find(c) != std::string_view::npos) escaped += '\\';
    escaped += c;
  }
  return escaped;
}

// The string types Java writes as text; any other value is written as DER hex.
bool is_text(const ASN1_STRING* value) {
  switch (ASN1_STRING_type(value)) {
    case V_ASN1_PRINTABLESTRING:
    case V_ASN1_T61STRING:
    case V_ASN1_IA5STRING:
    case V_ASN1_GENERALSTRING:
    case V_ASN1_BMPSTRING:
    case V_ASN1_UTF8STRING:
      return true;
    default:
      return false;
  }
}

// "#" and the hex of the value's DER encoding (tag, length, contents), RFC 2253's form for
// an attribute written by OID.
std::string der_hex(const ASN1_STRING* value) {
  std::unique_ptr<ASN1_TYPE, decltype(&ASN1_TYPE_free)> type(ASN1_TYPE_new(), ASN1_TYPE_free);
  if (!type || ASN1_TYPE_set1(type.get(), ASN1_STRING_type(value), value) != 1) return "#";
  unsigned char* der = nullptr;
  const int length = i2d_ASN1_TYPE(type.get(), &der);
  std::string hex = "#";
  for (int i = 0; i < length; ++i) hex += fmt::format("{:02x}", der[i]);
  OPENSSL_free(der);
  return hex;
}

std::string attribute(const X509_NAME_ENTRY* entry) {
  const ASN1_OBJECT* object = X509_NAME_ENTRY_get_object(entry);
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(entry);
  const char* keyword = java_keyword(OBJ_obj2nid(object));
  std::string type;
  if (keyword != nullptr) {
    type = keyword;
  } else {
    std::array<char, 128> oid{};
    OBJ_obj2txt(oid.data(), static_cast<int>(oid.size()), object, /*no_name=*/1);
    type = oid.data();
  }
  if (keyword == nullptr || !is_text(value)) return fmt::format("{}={}", type, der_hex(value));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, value);
  std::string text =
      length < 0 ? std::string() : std::string(reinterpret_cast<char*>(utf8), length);
  OPENSSL_free(utf8);
  return fmt::format("{}={}", type, escape_value(text));
}

}  // namespace

std::string rfc2253_subject(const X509& certificate) {
  const X509_NAME* name = X509_get_subject_name(&certificate);
  const int count = X509_NAME_entry_count(name);
  std::string text;
  // Certificates list RDNs from the least specific (C) to the most (CN); RFC 2253 writes
  // them the other way round. Entries of one multi-valued RDN share a set number.
  int previous_set = -1;
  for (int i = count - 1; i >= 0; --i) {
    const X509_NAME_ENTRY* entry = X509_NAME_get_entry(name, i);
    const int set = X509_NAME_ENTRY_set(entry);
    if (!text.empty()) text += set == previous_set ? '+' : ',';
    text += attribute(entry);
    previous_set = set;
  }
  return text;
}

std::string tls_principal(const X509* peer_certificate) {
  if (peer_certificate == nullptr) return "User:ANONYMOUS";
  return "User:" + rfc2253_subject(*peer_certificate);
}

}  // namespace runnel::broker
