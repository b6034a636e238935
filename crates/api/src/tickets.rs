//! Ticket codes: what a ticket's QR code holds. A code carries the ticket's reference and
//! an HMAC-SHA256 of it under the server's ticket key (`TICKET_SECRET`), so a forged or
//! altered code is refused before any database lookup; whether a genuine ticket is still
//! valid (its booking confirmed, not yet admitted) is the database's answer.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use booking_domain::ticket::{TICKET_REF_BYTES, TicketRef};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Marks the code's format, so a later one can be told apart.
const PREFIX: &str = "BKT1.";
/// 128 bits of MAC: forging one is as hard as guessing a random UUID v4, many times over.
const MAC_BYTES: usize = 16;

/// Signs and verifies ticket codes with one key; cheap to clone.
#[derive(Clone)]
pub struct TicketCodes {
    key: Arc<[u8]>,
}

impl std::fmt::Debug for TicketCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketCodes(<key redacted>)")
    }
}

impl TicketCodes {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.into() }
    }

    fn mac(&self, reference: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        mac.update(reference);
        mac
    }

    /// The code of `ticket`: `BKT1.` and the reference with its MAC, base64url.
    pub fn code(&self, ticket: &TicketRef) -> String {
        let reference = ticket.to_bytes();
        let tag = self.mac(&reference).finalize().into_bytes();
        let mut signed = Vec::with_capacity(TICKET_REF_BYTES + MAC_BYTES);
        signed.extend_from_slice(&reference);
        signed.extend(tag.iter().take(MAC_BYTES));
        format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(signed))
    }

    /// The ticket a code names, when the code is one this key signed; `None` for anything
    /// else (malformed, altered, or signed with another key). Constant-time comparison.
    pub fn verify(&self, code: &str) -> Option<TicketRef> {
        let signed = URL_SAFE_NO_PAD
            .decode(code.trim().strip_prefix(PREFIX)?)
            .ok()?;
        if signed.len() != TICKET_REF_BYTES + MAC_BYTES {
            return None;
        }
        let (reference, tag) = signed.split_at(TICKET_REF_BYTES);
        self.mac(reference).verify_truncated_left(tag).ok()?;
        TicketRef::from_bytes(reference)
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn ticket() -> TicketRef {
        TicketRef {
            booking_id: Uuid::from_u128(0x1234),
            tier_id: Uuid::from_u128(0x5678),
            index: 3,
        }
    }

    #[test]
    fn a_code_verifies_to_its_ticket() {
        let codes = TicketCodes::new(b"a key of thirty-two bytes or more!!");
        let code = codes.code(&ticket());
        assert!(code.starts_with("BKT1."), "{code}");
        assert_eq!(codes.verify(&code), Some(ticket()));
        assert_eq!(codes.verify(&format!(" {code}\n")), Some(ticket()));
    }

    #[test]
    fn an_altered_forged_or_foreign_code_is_refused() {
        let codes = TicketCodes::new(b"a key of thirty-two bytes or more!!");
        let code = codes.code(&ticket());
        // Every single character changed, one at a time.
        for position in PREFIX.len()..code.len() {
            let mut altered: Vec<char> = code.chars().collect();
            altered[position] = if altered[position] == 'A' { 'B' } else { 'A' };
            let altered: String = altered.into_iter().collect();
            assert_eq!(codes.verify(&altered), None, "{altered}");
        }
        let other_key = TicketCodes::new(b"another key, also long enough to use");
        assert_eq!(other_key.verify(&code), None);
        for junk in ["", "BKT1.", "BKT1.AAAA", "hello", &code[..code.len() - 1]] {
            assert_eq!(codes.verify(junk), None, "{junk}");
        }
    }
}
