// What one of the runner's built-in clients (a scenario's sender, pop3 or imap actor) dials
// for one attempt: its account settings, bent by a client-settings fault when one fires
// (sim/fault.hpp, point ClientSettings), and its server name resolved through the lab's own
// DNS, as a real mail app resolves through its resolver. So a typo meets NXDOMAIN on the
// wire, a wrong port meets whatever really listens there.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "servers/net/asio.hpp"
#include "sim/fault.hpp"
#include "sim/scenario.hpp"

namespace mailflow {

class Lab;

struct ClientSettings {
  std::string server;  // the name dialled (also the TLS name checked)
  std::uint16_t port = 0;  // the real port, the world's offset included
  std::uint16_t lesson_port = 0;  // the same port as lessons name it ("587")
  sim::TlsMode tls = sim::TlsMode::Starttls;
  std::string login;
  std::string password;
  std::optional<sim::FaultHit> fault;  // the client-settings fault that bent them
};

struct ResolvedServer {
  std::optional<net::asio::ip::address> address;  // unset: the name did not resolve
  std::string problem;  // why not, as the client's transcript shows it: "smpt.alpha.test: NXDOMAIN ..."
};

// The actor's settings for one attempt of `service` (Submission/Smtps for a sender,
// Pop3/Pop3s or Imap/Imaps for a reader, by its TLS mode). Asks the lab's faults at
// ClientSettings with host = the server the actor names, client = the actor's name, and
// the attempt's sender and recipient (a reader's recipient is its own user); the first
// fault that fires changes one setting:
//   wrong_port        the port becomes params.port (a lesson port: 25, 110; offset added)
//   server_name_typo  the server name becomes params.value
//   wrong_password    the password becomes params.value, or a wrong one when it is empty
//   no_tls            TLS off, on the plaintext port (where the server requires TLS)
// and a fault event naming it is published under the actor's name.
ClientSettings client_settings(Lab& lab, const sim::Actor& actor, sim::Service plain, sim::Service implicit_tls,
                               const std::string& sender, const std::string& recipient);

// The server's address from the lab's DNS (A records), with a dns-query and dns-answer
// event under the actor's name; without a lab DNS, from the world.
ResolvedServer resolve_server(Lab& lab, const std::string& actor, const std::string& server);

}  // namespace mailflow
