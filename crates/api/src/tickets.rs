//! Signed codes. A ticket code (what a ticket's QR code holds) carries the ticket's
//! reference and an HMAC-SHA256 of it under the server's ticket key (`TICKET_SECRET`), so
//! a forged or altered code is refused before any database lookup; whether a genuine
//! ticket is still valid (its booking confirmed, not yet admitted) is the database's
//! answer. A queue pass (`Queue-Pass`) is signed the same way, its MAC bound to its kind,
//! so neither can pass for the other.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use booking_domain::ticket::{TICKET_REF_BYTES, TicketRef};
use booking_domain::waiting_room::{QUEUE_PASS_BYTES, QueuePass};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Marks the code's format, so a later one can be told apart.
const PREFIX: &str = "BKT1.";
/// A queue pass's; it is also fed to its MAC (ticket codes predate this and feed none).
const PASS_PREFIX: &str = "QP1.";
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

    fn mac(&self, kind: &[u8], payload: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        mac.update(kind);
        mac.update(payload);
        mac
    }

    /// `prefix`, then `payload` with its MAC, base64url.
    fn sign(&self, prefix: &str, kind: &[u8], payload: &[u8]) -> String {
        let tag = self.mac(kind, payload).finalize().into_bytes();
        let mut signed = Vec::with_capacity(payload.len() + MAC_BYTES);
        signed.extend_from_slice(payload);
        signed.extend(tag.iter().take(MAC_BYTES));
        format!("{prefix}{}", URL_SAFE_NO_PAD.encode(signed))
    }

    /// The `len`-byte payload of a code this key signed with `prefix`; `None` for
    /// anything else. Constant-time comparison.
    fn open(&self, code: &str, prefix: &str, kind: &[u8], len: usize) -> Option<Vec<u8>> {
        let mut signed = URL_SAFE_NO_PAD
            .decode(code.trim().strip_prefix(prefix)?)
            .ok()?;
        if signed.len() != len + MAC_BYTES {
            return None;
        }
        let tag = signed.split_off(len);
        self.mac(kind, &signed).verify_truncated_left(&tag).ok()?;
        Some(signed)
    }

    /// The code of `ticket`: `BKT1.` and the reference with its MAC, base64url.
    pub fn code(&self, ticket: &TicketRef) -> String {
        self.sign(PREFIX, b"", &ticket.to_bytes())
    }

    /// The ticket a code names, when the code is one this key signed; `None` for anything
    /// else (malformed, altered, or signed with another key).
    pub fn verify(&self, code: &str) -> Option<TicketRef> {
        TicketRef::from_bytes(&self.open(code, PREFIX, b"", TICKET_REF_BYTES)?)
    }

    /// A queue pass as the `Queue-Pass` header carries it.
    pub fn pass(&self, pass: &QueuePass) -> String {
        self.sign(PASS_PREFIX, PASS_PREFIX.as_bytes(), &pass.to_bytes())
    }

    /// The pass a header holds, when this key signed it.
    pub fn verify_pass(&self, code: &str) -> Option<QueuePass> {
        let bytes = self.open(code, PASS_PREFIX, PASS_PREFIX.as_bytes(), QUEUE_PASS_BYTES)?;
        QueuePass::from_bytes(&bytes)
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

    #[test]
    fn a_pass_verifies_and_never_passes_for_a_ticket() {
        let codes = TicketCodes::new(b"a key of thirty-two bytes or more!!");
        let pass = QueuePass {
            event_id: Uuid::from_u128(1),
            user_id: Uuid::from_u128(2),
            expires_at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
        };
        let signed = codes.pass(&pass);
        assert!(signed.starts_with("QP1."), "{signed}");
        assert_eq!(codes.verify_pass(&signed), Some(pass));
        let mut tampered = signed.clone();
        tampered.pop();
        tampered.push('A');
        assert_ne!(codes.verify_pass(&tampered), Some(pass));
        assert_eq!(codes.verify(&signed), None);
        assert_eq!(codes.verify_pass(&codes.code(&ticket())), None);
    }
}
