// The DNS wire codec: bounds-checked reader and compressing writer (see the header).
#include "servers/dns/dns_message.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <unordered_map>

namespace mailflow::dns {
namespace {

// A legal name has at most 127 labels, so it can never need more jumps than that.
constexpr int kMaxPointerJumps = 127;
constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kOptFixedSize = 11;  // root name, type, class, ttl, rdlength

struct DecodeFailure {
  DecodeError error;
};

class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> wire) : wire_(wire) {}

  std::size_t pos() const { return pos_; }
  std::size_t size() const { return wire_.size(); }
  void seek(std::size_t pos) { pos_ = pos; }

  std::uint8_t u8() {
    need(1);
    return wire_[pos_++];
  }
  std::uint16_t u16() {
    need(2);
    std::uint16_t v = static_cast<std::uint16_t>(wire_[pos_] << 8 | wire_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  std::uint32_t u32() {
    std::uint32_t hi = u16();
    return hi << 16 | u16();
  }
  std::vector<std::uint8_t> bytes(std::size_t n) {
    need(n);
    std::vector<std::uint8_t> out(wire_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                  wire_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return out;
  }

  // RFC 1035 §4.1.4 with the RFC 9267 rules: every pointer must point strictly before the
  // place the previous jump landed (or the start of the name), so the walk always ends.
  DnsName name() {
    std::vector<std::string> labels;
    std::size_t cursor = pos_;
    std::size_t limit = pos_;
    std::size_t total = 1;
    bool jumped = false;
    int jumps = 0;
    while (true) {
      if (cursor >= wire_.size()) throw DecodeFailure{DecodeError::Truncated};
      std::uint8_t length = wire_[cursor];
      if (length == 0) {
        ++cursor;
        break;
      }
      if ((length & 0xC0) == 0xC0) {
        if (cursor + 1 >= wire_.size()) throw DecodeFailure{DecodeError::Truncated};
        std::size_t target = static_cast<std::size_t>(length & 0x3F) << 8 | wire_[cursor + 1];
        if (target >= limit) throw DecodeFailure{DecodeError::BadPointer};
        if (++jumps > kMaxPointerJumps) throw DecodeFailure{DecodeError::TooManyPointers};
        if (!jumped) pos_ = cursor + 2;
        jumped = true;
        limit = target;
        cursor = target;
        continue;
      }
      if (length & 0xC0) throw DecodeFailure{DecodeError::BadLabelType};
      if (cursor + 1 + length > wire_.size()) throw DecodeFailure{DecodeError::Truncated};
      total += length + 1u;
      if (total > kMaxNameLength) throw DecodeFailure{DecodeError::NameTooLong};
      labels.emplace_back(reinterpret_cast<const char*>(wire_.data() + cursor + 1), length);
      cursor += 1 + length;
    }
    if (!jumped) pos_ = cursor;
    auto name = DnsName::from_labels(std::move(labels));
    if (!name) throw DecodeFailure{DecodeError::NameTooLong};
    return *name;
  }

 private:
  void need(std::size_t n) const {
    if (wire_.size() - pos_ < n) throw DecodeFailure{DecodeError::Truncated};
  }

  std::span<const std::uint8_t> wire_;
  std::size_t pos_ = 0;
};

Header decode_header(WireReader& in) {
  Header h;
  h.id = in.u16();
  std::uint16_t flags = in.u16();
  h.qr = flags & 0x8000;
  h.opcode = static_cast<Opcode>((flags >> 11) & 0x0F);
  h.aa = flags & 0x0400;
  h.tc = flags & 0x0200;
  h.rd = flags & 0x0100;
  h.ra = flags & 0x0080;
  h.ad = flags & 0x0020;
  h.cd = flags & 0x0010;
  h.rcode = static_cast<Rcode>(flags & 0x000F);
  return h;
}

RData decode_rdata(WireReader& in, std::uint16_t type, std::size_t rdlength) {
  const std::size_t end = in.pos() + rdlength;
  if (end > in.size()) throw DecodeFailure{DecodeError::Truncated};
  RData data;
  switch (static_cast<RrType>(type)) {
    case RrType::A: {
      if (rdlength != 4) throw DecodeFailure{DecodeError::BadRdata};
      AData a;
      for (auto& octet : a.address) octet = in.u8();
      data = a;
      break;
    }
    case RrType::AAAA: {
      if (rdlength != 16) throw DecodeFailure{DecodeError::BadRdata};
      AaaaData a;
      for (auto& octet : a.address) octet = in.u8();
      data = a;
      break;
    }
    case RrType::NS:
    case RrType::CNAME:
    case RrType::PTR:
      data = NameData{in.name()};
      break;
    case RrType::MX: {
      MxData mx;
      mx.preference = in.u16();
      mx.exchange = in.name();
      data = mx;
      break;
    }
    case RrType::SOA: {
      SoaData soa;
      soa.mname = in.name();
      soa.rname = in.name();
      soa.serial = in.u32();
      soa.refresh = in.u32();
      soa.retry = in.u32();
      soa.expire = in.u32();
      soa.minimum = in.u32();
      data = soa;
      break;
    }
    case RrType::TXT: {
      if (rdlength == 0) throw DecodeFailure{DecodeError::BadRdata};
      TxtData txt;
      while (in.pos() < end) {
        std::uint8_t length = in.u8();
        if (in.pos() + length > end) throw DecodeFailure{DecodeError::BadRdata};
        auto raw = in.bytes(length);
        txt.strings.emplace_back(raw.begin(), raw.end());
      }
      data = txt;
      break;
    }
    default:
      data = OpaqueData{in.bytes(rdlength)};
  }
  if (in.pos() != end) throw DecodeFailure{DecodeError::BadRdata};
  return data;
}

void decode_section(WireReader& in, std::uint16_t count, std::vector<ResourceRecord>& out,
                    std::optional<Edns>* edns) {
  for (std::uint16_t i = 0; i < count; ++i) {
    ResourceRecord rr;
    rr.name = in.name();
    rr.type = in.u16();
    rr.klass = in.u16();
    rr.ttl = in.u32();
    std::uint16_t rdlength = in.u16();
    if (rr.type == static_cast<std::uint16_t>(RrType::OPT)) {
      // RFC 6891 §6.1.1: only in the additional section, only once, owned by the root.
      if (!edns || edns->has_value() || !rr.name.is_root()) throw DecodeFailure{DecodeError::BadOpt};
      Edns e;
      e.udp_payload_size = rr.klass;
      e.extended_rcode = static_cast<std::uint8_t>(rr.ttl >> 24);
      e.version = static_cast<std::uint8_t>(rr.ttl >> 16);
      e.dnssec_ok = rr.ttl & 0x8000;
      e.options = in.bytes(rdlength);
      *edns = std::move(e);
      continue;
    }
    rr.data = decode_rdata(in, rr.type, rdlength);
    out.push_back(std::move(rr));
  }
}

// ---------------------------------------------------------------------------------------

class WireWriter {
 public:
  explicit WireWriter(std::vector<std::uint8_t>& out) : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void bytes(std::span<const std::uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void put_u16_at(std::size_t at, std::uint16_t v) {
    out_[at] = static_cast<std::uint8_t>(v >> 8);
    out_[at + 1] = static_cast<std::uint8_t>(v);
  }
  std::size_t size() const { return out_.size(); }

  // Writes the longest suffix already in the message as a pointer (RFC 1035 §4.1.4).
  void name(const DnsName& name) {
    const auto& labels = name.labels();
    for (std::size_t i = 0; i < labels.size(); ++i) {
      std::string suffix = suffix_key(labels, i);
      if (auto it = offsets_.find(suffix); it != offsets_.end()) {
        u16(static_cast<std::uint16_t>(0xC000 | it->second));
        return;
      }
      if (out_.size() < 0x3FFF) offsets_.emplace(std::move(suffix), static_cast<std::uint16_t>(out_.size()));
      u8(static_cast<std::uint8_t>(labels[i].size()));
      bytes({reinterpret_cast<const std::uint8_t*>(labels[i].data()), labels[i].size()});
    }
    u8(0);
  }

  // Forget offsets at or past `size`, after a record was rolled back.
  void rewind(std::size_t size) {
    out_.resize(size);
    std::erase_if(offsets_, [size](const auto& entry) { return entry.second >= size; });
  }

 private:
  static std::string suffix_key(const std::vector<std::string>& labels, std::size_t from) {
    std::string key;
    for (std::size_t i = from; i < labels.size(); ++i) {
      for (char c : labels[i]) key += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      key += '.';
    }
    return key;
  }

  std::vector<std::uint8_t>& out_;
  std::unordered_map<std::string, std::uint16_t> offsets_;
};

void encode_rdata(WireWriter& out, const RData& data) {
  std::visit(
      [&out](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<T, AData> || std::is_same_v<T, AaaaData>) {
          out.bytes(d.address);
        } else if constexpr (std::is_same_v<T, NameData>) {
          out.name(d.name);
        } else if constexpr (std::is_same_v<T, MxData>) {
          out.u16(d.preference);
          out.name(d.exchange);
        } else if constexpr (std::is_same_v<T, SoaData>) {
          out.name(d.mname);
          out.name(d.rname);
          out.u32(d.serial);
          out.u32(d.refresh);
          out.u32(d.retry);
          out.u32(d.expire);
          out.u32(d.minimum);
        } else if constexpr (std::is_same_v<T, TxtData>) {
          for (const auto& s : d.strings) {
            auto length = std::min<std::size_t>(s.size(), 255);
            out.u8(static_cast<std::uint8_t>(length));
            out.bytes({reinterpret_cast<const std::uint8_t*>(s.data()), length});
          }
        } else {
          out.bytes(d.bytes);
        }
      },
      data);
}

void encode_record(WireWriter& out, const ResourceRecord& rr) {
  out.name(rr.name);
  out.u16(rr.type);
  out.u16(rr.klass);
  out.u32(rr.ttl);
  std::size_t length_at = out.size();
  out.u16(0);
  encode_rdata(out, rr.data);
  out.put_u16_at(length_at, static_cast<std::uint16_t>(out.size() - length_at - 2));
}

}  // namespace

std::string_view decode_error_name(DecodeError e) {
  switch (e) {
    case DecodeError::None: return "none";
    case DecodeError::ShortHeader: return "short header";
    case DecodeError::Truncated: return "truncated";
    case DecodeError::BadPointer: return "compression pointer not pointing backwards";
    case DecodeError::TooManyPointers: return "too many compression pointers";
    case DecodeError::LabelTooLong: return "label longer than 63 octets";
    case DecodeError::NameTooLong: return "name longer than 255 octets";
    case DecodeError::BadLabelType: return "reserved label type";
    case DecodeError::BadRdata: return "RDATA does not match its type";
    case DecodeError::BadOpt: return "misplaced or repeated OPT record";
    case DecodeError::TrailingBytes: return "bytes after the last record";
  }
  return "unknown";
}

DecodeResult decode(std::span<const std::uint8_t> wire) {
  DecodeResult result;
  if (wire.size() < kHeaderSize) {
    result.error = DecodeError::ShortHeader;
    return result;
  }
  WireReader in(wire);
  Message message;
  try {
    message.header = decode_header(in);
    result.header = message.header;
    std::uint16_t qdcount = in.u16(), ancount = in.u16(), nscount = in.u16(), arcount = in.u16();
    for (std::uint16_t i = 0; i < qdcount; ++i) {
      Question q;
      q.name = in.name();
      q.type = in.u16();
      q.klass = in.u16();
      message.questions.push_back(std::move(q));
    }
    decode_section(in, ancount, message.answers, nullptr);
    decode_section(in, nscount, message.authority, nullptr);
    decode_section(in, arcount, message.additional, &message.edns);
    if (in.pos() != in.size()) throw DecodeFailure{DecodeError::TrailingBytes};
  } catch (const DecodeFailure& failure) {
    result.error = failure.error;
    return result;
  }
  if (message.edns) {
    message.header.rcode = static_cast<Rcode>(static_cast<std::uint16_t>(message.edns->extended_rcode) << 4 |
                                              static_cast<std::uint16_t>(message.header.rcode));
  }
  result.message = std::move(message);
  return result;
}

EncodeResult encode(const Message& message, std::size_t max_size) {
  EncodeResult result;
  auto& wire = result.wire;
  wire.reserve(512);
  WireWriter out(wire);

  std::size_t opt_size = message.edns ? kOptFixedSize + message.edns->options.size() : 0;
  std::size_t limit = max_size > opt_size ? max_size - opt_size : 0;
  auto rcode = static_cast<std::uint16_t>(message.header.rcode);

  // Header; the flags word and counts are patched once the sections are written.
  out.u16(message.header.id);
  out.u16(0);
  for (int i = 0; i < 4; ++i) out.u16(0);

  std::uint16_t counts[4] = {0, 0, 0, 0};
  bool truncated = false;
  for (const auto& q : message.questions) {
    std::size_t mark = out.size();
    out.name(q.name);
    out.u16(q.type);
    out.u16(q.klass);
    if (out.size() > limit) {
      out.rewind(mark);
      truncated = true;
      break;
    }
    ++counts[0];
  }
  const std::vector<ResourceRecord>* sections[3] = {&message.answers, &message.authority, &message.additional};
  for (int s = 0; s < 3 && !truncated; ++s) {
    for (const auto& rr : *sections[s]) {
      std::size_t mark = out.size();
      encode_record(out, rr);
      if (out.size() > limit) {
        out.rewind(mark);
        // RFC 2181 §9: a missing additional record is no reason to set TC.
        if (s < 2) truncated = true;
        break;
      }
      ++counts[s + 1];
    }
  }
  if (message.edns) {
    const auto& e = *message.edns;
    out.u8(0);
    out.u16(static_cast<std::uint16_t>(RrType::OPT));
    out.u16(e.udp_payload_size);
    out.u32(static_cast<std::uint32_t>(rcode >> 4) << 24 | static_cast<std::uint32_t>(e.version) << 16 |
            (e.dnssec_ok ? 0x8000u : 0u));
    out.u16(static_cast<std::uint16_t>(e.options.size()));
    out.bytes(e.options);
    ++counts[3];
  }

  const auto& h = message.header;
  std::uint16_t flags = static_cast<std::uint16_t>(
      (h.qr ? 0x8000 : 0) | (static_cast<std::uint16_t>(h.opcode) & 0x0F) << 11 | (h.aa ? 0x0400 : 0) |
      ((h.tc || truncated) ? 0x0200 : 0) | (h.rd ? 0x0100 : 0) | (h.ra ? 0x0080 : 0) | (h.ad ? 0x0020 : 0) |
      (h.cd ? 0x0010 : 0) | (rcode & 0x0F));
  out.put_u16_at(2, flags);
  for (int i = 0; i < 4; ++i) out.put_u16_at(4 + 2 * static_cast<std::size_t>(i), counts[i]);
  result.truncated = truncated;
  return result;
}

// ---------------------------------------------------------------------------------------

namespace {

struct TypeName {
  RrType type;
  std::string_view name;
};
constexpr TypeName kTypeNames[] = {
    {RrType::A, "A"},     {RrType::NS, "NS"},   {RrType::CNAME, "CNAME"}, {RrType::SOA, "SOA"},
    {RrType::PTR, "PTR"}, {RrType::MX, "MX"},   {RrType::TXT, "TXT"},     {RrType::AAAA, "AAAA"},
    {RrType::OPT, "OPT"}, {RrType::IXFR, "IXFR"}, {RrType::AXFR, "AXFR"}, {RrType::ANY, "ANY"},
};

std::string quote_txt(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string_view rr_type_name(std::uint16_t type) {
  for (const auto& t : kTypeNames) {
    if (static_cast<std::uint16_t>(t.type) == type) return t.name;
  }
  return "TYPE";
}

std::optional<std::uint16_t> rr_type_from_name(std::string_view name) {
  for (const auto& t : kTypeNames) {
    if (labels_equal(t.name, name)) return static_cast<std::uint16_t>(t.type);
  }
  return std::nullopt;
}

std::string_view rcode_name(Rcode rcode) {
  switch (rcode) {
    case Rcode::NoError: return "NOERROR";
    case Rcode::FormErr: return "FORMERR";
    case Rcode::ServFail: return "SERVFAIL";
    case Rcode::NxDomain: return "NXDOMAIN";
    case Rcode::NotImp: return "NOTIMP";
    case Rcode::Refused: return "REFUSED";
    case Rcode::BadVers: return "BADVERS";
  }
  return "RCODE?";
}

std::string to_presentation(const ResourceRecord& rr) {
  std::string type = std::string(rr_type_name(rr.type));
  if (type == "TYPE") type += std::to_string(rr.type);
  std::string out = rr.name.to_string() + " " + std::to_string(rr.ttl) + " " +
                    (rr.klass == kClassIn ? "IN" : "CLASS" + std::to_string(rr.klass)) + " " + type + " ";
  std::visit(
      [&out](const auto& d) {
        using T = std::decay_t<decltype(d)>;
        char text[INET6_ADDRSTRLEN] = {};
        if constexpr (std::is_same_v<T, AData>) {
          out += inet_ntop(AF_INET, d.address.data(), text, sizeof text);
        } else if constexpr (std::is_same_v<T, AaaaData>) {
          out += inet_ntop(AF_INET6, d.address.data(), text, sizeof text);
        } else if constexpr (std::is_same_v<T, NameData>) {
          out += d.name.to_string();
        } else if constexpr (std::is_same_v<T, MxData>) {
          out += std::to_string(d.preference) + " " + d.exchange.to_string();
        } else if constexpr (std::is_same_v<T, SoaData>) {
          out += d.mname.to_string() + " " + d.rname.to_string() + " " + std::to_string(d.serial) + " " +
                 std::to_string(d.refresh) + " " + std::to_string(d.retry) + " " + std::to_string(d.expire) +
                 " " + std::to_string(d.minimum);
        } else if constexpr (std::is_same_v<T, TxtData>) {
          for (std::size_t i = 0; i < d.strings.size(); ++i) out += (i ? " " : "") + quote_txt(d.strings[i]);
        } else {
          out += "\\# " + std::to_string(d.bytes.size());
        }
      },
      rr.data);
  return out;
}

std::optional<RData> rdata_from_presentation(std::uint16_t type, std::string_view value) {
  std::string text(value);
  switch (static_cast<RrType>(type)) {
    case RrType::A: {
      AData a;
      if (inet_pton(AF_INET, text.c_str(), a.address.data()) != 1) return std::nullopt;
      return a;
    }
    case RrType::AAAA: {
      AaaaData a;
      if (inet_pton(AF_INET6, text.c_str(), a.address.data()) != 1) return std::nullopt;
      return a;
    }
    case RrType::NS:
    case RrType::CNAME:
    case RrType::PTR: {
      auto name = DnsName::parse(value);
      if (!name || name->is_root()) return std::nullopt;
      return NameData{*name};
    }
    case RrType::MX: {
      auto space = value.find(' ');
      if (space == std::string_view::npos) return std::nullopt;
      unsigned preference = 0;
      auto pref_text = value.substr(0, space);
      auto [ptr, ec] = std::from_chars(pref_text.data(), pref_text.data() + pref_text.size(), preference);
      if (ec != std::errc{} || ptr != pref_text.data() + pref_text.size() || preference > 65535) return std::nullopt;
      auto host = value.substr(space + 1);
      while (!host.empty() && host.front() == ' ') host.remove_prefix(1);
      auto name = DnsName::parse(host);
      if (!name) return std::nullopt;  // "0 ." is a null MX (RFC 7505) and is allowed
      return MxData{static_cast<std::uint16_t>(preference), *name};
    }
    case RrType::TXT: {
      // One character string per 255 octets (RFC 1035 §3.3.14); quotes are optional.
      if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
      TxtData txt;
      for (std::size_t at = 0; at < text.size() || txt.strings.empty(); at += 255) {
        txt.strings.push_back(text.substr(at, 255));
        if (text.empty()) break;
      }
      return txt;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace mailflow::dns
