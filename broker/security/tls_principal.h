#pragma once

#include <string>

typedef struct x509_st X509;

namespace runnel::broker {

// The subject of `certificate` as RFC 2253 text, the way Java's
// X500Principal.getName() writes it (and so Kafka's ssl.principal.mapping.rules=DEFAULT):
// the most specific RDN first ("CN=alice,OU=eng,O=acme"); the keywords CN, C, L, ST, O, OU,
// STREET, DC and UID, any other attribute as its dotted OID with the value's DER in hex
// ("1.2.840.113549.1.9.1=#16...", as Java writes emailAddress); values escaped as Java
// escapes them (a backslash before ",=+<>#;\"\\" and leading or trailing spaces),
// multi-valued RDNs joined with '+'. The principal is what ACLs name, so it must be
// byte-for-byte what Kafka would make of the same certificate.
std::string rfc2253_subject(const X509& certificate);

// The Kafka principal of a TLS client: "User:<subject>" for a client that presented a
// certificate (which the handshake verified), "User:ANONYMOUS" for one that did not.
std::string tls_principal(const X509* peer_certificate);

}  // namespace runnel::broker
