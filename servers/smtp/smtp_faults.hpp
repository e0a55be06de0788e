// How the fault catalogue (sim/fault.hpp) sounds in SMTP: the reply a fault sends at its
// decision point instead of the normal one, worded as Postfix words the real trouble, so a
// client or a student sees on the wire exactly what a real server would send. The codes
// themselves come from the reply catalogue (smtp_codes.hpp); the session decides when to
// ask (smtp_session*.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "servers/smtp/smtp_reply.hpp"
#include "sim/fault.hpp"

namespace mailflow::smtp {

// The reply a fault at the greeting, MAIL, RCPT or after the final dot sends. `subject`
// is the address the command named (the recipient at RCPT, the sender at MAIL), "" at the
// greeting and DATA. nullopt for kinds that are no reply (slow_replies, disconnect_in_data,
// the connect and network faults): the session acts on those itself.
std::optional<SmtpReply> fault_reply(const sim::FaultHit& hit, std::string_view host_name, std::string_view subject);

// Whether service_unavailable takes the permanent form: `value: "554"` in the scenario
// gives RFC 5321 §3.1's "554 No SMTP service here" (then 503 to all but QUIT); anything
// else the temporary 421 4.3.2 and an immediate close.
bool permanent_service_refusal(const sim::FaultHit& hit);

// The line of the Fault event: "fault 'grey' (greylisting) at RCPT TO: 451 4.7.1 ...".
std::string describe_fault(const sim::FaultHit& hit, std::string_view effect);

}  // namespace mailflow::smtp
