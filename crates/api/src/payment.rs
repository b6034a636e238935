//! The payment step, behind a trait so a real provider can replace the built-in ones.
//! It runs after the booking's transaction has committed: no row lock is held while a
//! (possibly slow) provider answers. No built-in gateway reaches a network: both answer
//! a buyer's card as card sandboxes do (`domain::card`'s test numbers).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use booking_domain::Card;
use booking_domain::card::DECLINING_TEST_CARD;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub booking_id: Uuid,
    pub amount_cents: i64,
    pub currency: String,
    /// The buyer's card for a hold they pay; `None` when the server pays an instant
    /// booking itself.
    pub card: Option<Card>,
}

/// The sandbox rule: the declining test number is declined; every other well-formed card
/// (the approving test number among them) is approved.
fn sandbox(card: Option<&Card>) -> PaymentOutcome {
    match card {
        Some(card) if card.number() == DECLINING_TEST_CARD => PaymentOutcome::Declined,
        _ => PaymentOutcome::Approved,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentOutcome {
    Approved,
    Declined,
}

pub type PaymentFuture<'a> = Pin<Box<dyn Future<Output = PaymentOutcome> + Send + 'a>>;

pub trait PaymentGateway: Send + Sync {
    fn charge<'a>(&'a self, charge: &'a Charge) -> PaymentFuture<'a>;

    /// Approves every charge without IO: the booking can be written confirmed in its own
    /// transaction, with no second commit to confirm it.
    fn settles_instantly(&self) -> bool {
        false
    }
}

/// The default: every payment is approved at once, but for the declining test card.
#[derive(Debug, Clone, Copy, Default)]
pub struct InstantApproval;

impl PaymentGateway for InstantApproval {
    fn charge<'a>(&'a self, charge: &'a Charge) -> PaymentFuture<'a> {
        let outcome = sandbox(charge.card.as_ref());
        Box::pin(async move { outcome })
    }

    fn settles_instantly(&self) -> bool {
        true
    }
}

/// A stand-in for a real provider: answers after `latency` and declines a share of
/// payments at random (`PAYMENT_DECLINE_RATE=0.05` is the "95% succeed" simulation), and
/// the declining test card always.
#[derive(Debug, Clone, Copy)]
pub struct SimulatedGateway {
    pub decline_rate: f64,
    pub latency: Duration,
}

impl PaymentGateway for SimulatedGateway {
    fn charge<'a>(&'a self, charge: &'a Charge) -> PaymentFuture<'a> {
        Box::pin(async move {
            if !self.latency.is_zero() {
                tokio::time::sleep(self.latency).await;
            }
            if sandbox(charge.card.as_ref()) == PaymentOutcome::Declined
                || declines(self.decline_rate, random_unit())
            {
                PaymentOutcome::Declined
            } else {
                PaymentOutcome::Approved
            }
        })
    }
}

/// A uniform draw in [0, 1).
fn random_unit() -> f64 {
    let mut bytes = [0_u8; 4];
    // Without an entropy source every draw is 0, which approves unless the rate is 1.
    let _ = getrandom::fill(&mut bytes);
    f64::from(u32::from_le_bytes(bytes)) / (f64::from(u32::MAX) + 1.0)
}

fn declines(rate: f64, draw: f64) -> bool {
    draw < rate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decline_rate_is_the_share_of_draws_below_it() {
        assert!(!declines(0.0, 0.0));
        assert!(declines(1.0, 0.999_999));
        assert!(declines(0.05, 0.049));
        assert!(!declines(0.05, 0.05));
    }

    #[tokio::test]
    async fn simulated_rates_of_zero_and_one_are_deterministic() {
        let charge = Charge {
            booking_id: Uuid::nil(),
            amount_cents: 100,
            currency: "USD".into(),
            card: None,
        };
        let never = SimulatedGateway {
            decline_rate: 0.0,
            latency: Duration::ZERO,
        };
        let always = SimulatedGateway {
            decline_rate: 1.0,
            ..never
        };
        assert_eq!(never.charge(&charge).await, PaymentOutcome::Approved);
        assert_eq!(always.charge(&charge).await, PaymentOutcome::Declined);
        assert_eq!(
            InstantApproval.charge(&charge).await,
            PaymentOutcome::Approved
        );
    }

    #[tokio::test]
    async fn the_test_cards_are_approved_and_declined_by_every_gateway() {
        use booking_domain::RawCard;
        use booking_domain::card::APPROVING_TEST_CARD;
        let paid_with = |number: &str| Charge {
            booking_id: Uuid::nil(),
            amount_cents: 100,
            currency: "USD".into(),
            card: Card::parse(
                &RawCard {
                    number: number.into(),
                    expiry: "12/40".into(),
                    cvc: "123".into(),
                },
                chrono::Utc::now(),
            )
            .ok(),
        };
        let simulated = SimulatedGateway {
            decline_rate: 0.0,
            latency: Duration::ZERO,
        };
        let gateways: [&dyn PaymentGateway; 2] = [&InstantApproval, &simulated];
        for gateway in gateways {
            for (number, outcome) in [
                (APPROVING_TEST_CARD, PaymentOutcome::Approved),
                ("5555555555554444", PaymentOutcome::Approved),
                (DECLINING_TEST_CARD, PaymentOutcome::Declined),
            ] {
                let charge = paid_with(number);
                assert!(charge.card.is_some(), "{number} is well-formed");
                assert_eq!(gateway.charge(&charge).await, outcome, "{number}");
            }
        }
    }
}
