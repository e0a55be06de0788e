// The DNS message codec (RFC 1035 §4, EDNS(0) RFC 6891): value types for a message and
// pure functions between them and wire bytes. No I/O, so tests feed golden bytes and
// fuzzers reach it directly.
//
// Decoding follows RFC 9267: compression pointers may only point backwards, the number of
// jumps is capped, labels are at most 63 octets and names at most 255, and every count and
// RDLENGTH is checked against the packet. Encoding compresses owner names and the names
// inside NS, CNAME, PTR, MX and SOA RDATA (RFC 1035 §4.1.4, RFC 3597 §4) and, when the
// message does not fit the size limit, rewinds to the last whole record and sets TC.
// Left out: DNSSEC types, name escapes in presentation form, EDNS options (kept opaque).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "servers/dns/dns_name.hpp"

namespace mailflow::dns {

// RR types the lab serves or must recognise (RFC 1035 §3.2.2, RFC 3596, RFC 6891).
enum class RrType : std::uint16_t {
  A = 1, NS = 2, CNAME = 5, SOA = 6, PTR = 12, MX = 15, TXT = 16, AAAA = 28, OPT = 41,
  IXFR = 251, AXFR = 252, ANY = 255,
};
inline constexpr std::uint16_t kClassIn = 1;
inline constexpr std::uint16_t kClassAny = 255;

enum class Opcode : std::uint8_t { Query = 0, IQuery = 1, Status = 2, Notify = 4, Update = 5 };

// Response codes (RFC 1035 §4.1.1, RFC 6891 §9 for the extended BADVERS).
enum class Rcode : std::uint16_t {
  NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5, BadVers = 16,
};

std::string_view rr_type_name(std::uint16_t type);        // "MX"; "TYPE" for others (append the number)
std::optional<std::uint16_t> rr_type_from_name(std::string_view name);
std::string_view rcode_name(Rcode rcode);                   // "NXDOMAIN"

struct Header {
  std::uint16_t id = 0;
  bool qr = false;   // response
  Opcode opcode = Opcode::Query;
  bool aa = false;   // authoritative answer
  bool tc = false;   // truncated
  bool rd = false;   // recursion desired (echoed)
  bool ra = false;   // recursion available (never, the lab is authoritative only)
  bool ad = false;
  bool cd = false;
  Rcode rcode = Rcode::NoError;  // the low 4 bits travel here, the rest in OPT
};

struct Question {
  DnsName name;
  std::uint16_t type = 0;
  std::uint16_t klass = kClassIn;
};

struct AData { std::array<std::uint8_t, 4> address{}; };
struct AaaaData { std::array<std::uint8_t, 16> address{}; };
struct NameData { DnsName name; };  // NS, CNAME, PTR
struct MxData { std::uint16_t preference = 0; DnsName exchange; };
struct SoaData {
  DnsName mname, rname;
  std::uint32_t serial = 0, refresh = 0, retry = 0, expire = 0, minimum = 0;
};
struct TxtData { std::vector<std::string> strings; };  // each at most 255 octets
struct OpaqueData { std::vector<std::uint8_t> bytes; };  // unknown types (RFC 3597)

using RData = std::variant<AData, AaaaData, NameData, MxData, SoaData, TxtData, OpaqueData>;

struct ResourceRecord {
  DnsName name;
  std::uint16_t type = 0;
  std::uint16_t klass = kClassIn;
  std::uint32_t ttl = 0;
  RData data;
};

// The OPT pseudo-record (RFC 6891 §6.1.2), lifted out of the additional section.
struct Edns {
  std::uint16_t udp_payload_size = 512;
  std::uint8_t extended_rcode = 0;  // upper 8 bits of the 12-bit rcode
  std::uint8_t version = 0;
  bool dnssec_ok = false;
  std::vector<std::uint8_t> options;  // kept opaque
};

struct Message {
  Header header;
  std::vector<Question> questions;
  std::vector<ResourceRecord> answers;
  std::vector<ResourceRecord> authority;
  std::vector<ResourceRecord> additional;  // without the OPT record
  std::optional<Edns> edns;
};

enum class DecodeError {
  None,
  ShortHeader,       // fewer than 12 octets: not even an id to answer
  Truncated,         // a count, name or RDATA runs past the end
  BadPointer,        // a compression pointer that points forwards or at itself
  TooManyPointers,   // more jumps than any legal name needs
  LabelTooLong,      // label over 63 octets
  NameTooLong,       // name over 255 octets
  BadLabelType,      // the reserved 0x40 / 0x80 label types
  BadRdata,          // RDATA that does not match its type's layout
  BadOpt,            // OPT outside the additional section, with a non-root name, or twice
  TrailingBytes,     // octets after the last record
};
std::string_view decode_error_name(DecodeError e);

struct DecodeResult {
  std::optional<Message> message;
  DecodeError error = DecodeError::None;
  // Whatever of the header could be read, so a FORMERR can carry the query's id.
  std::optional<Header> header;
};

DecodeResult decode(std::span<const std::uint8_t> wire);

struct EncodeResult {
  std::vector<std::uint8_t> wire;
  bool truncated = false;  // records were left out and TC was set
};

// Encodes with name compression. When the message would exceed max_size, the records
// that do not fit are left out: in the answer or authority section that sets TC; in the
// additional section they are simply dropped (RFC 2181 §9). The OPT record always fits.
EncodeResult encode(const Message& message, std::size_t max_size = 65535);

// Presentation form of one record: "beta.test. 300 IN MX 10 mx.beta.test."
std::string to_presentation(const ResourceRecord& rr);
// Parses the RDATA of a presentation value for the given type ("10 mx.beta.test" for MX).
std::optional<RData> rdata_from_presentation(std::uint16_t type, std::string_view value);

}  // namespace mailflow::dns
