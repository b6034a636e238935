//! `race`: N fresh buyers ask for one ticket each of the same tier at the same instant.
//! The verdict passes only when exactly the tickets that were left are sold, everyone
//! else hears 409, and nothing remains.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use booking_dto::{Event, Tier};
use serde::Serialize;
use tokio::sync::Barrier;
use uuid::Uuid;

use crate::api::{ApiClient, ApiError, BookingOutcome};
use crate::buyers::{self, BuyerNames};
use crate::storm::setup::{EventPlan, create_events};
use crate::tally::AnswerKind;

pub const DEFAULT_EVENT: &str = "Limited Concert";

#[derive(Debug, Clone)]
pub struct RaceOptions {
    pub users: usize,
    /// Where to race: an existing event, or one made for this race.
    pub target: RaceTarget,
}

#[derive(Debug, Clone)]
pub enum RaceTarget {
    Existing {
        /// An event id, or the exact title of a published upcoming event.
        event: String,
        /// The tier's name; needed only when the event has several.
        tier: Option<String>,
    },
    /// An event the organizer creates and publishes for this race alone, with `tickets`
    /// tickets and one per person: a race that can be run again on any server.
    Fresh {
        tickets: u32,
        organizer_email: String,
        organizer_password: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum RaceError {
    #[error("no published upcoming event is titled `{0}`")]
    EventNotFound(String),
    #[error("`{event}` has no tier named `{tier}` (tiers: {known})")]
    TierNotFound {
        event: String,
        tier: String,
        known: String,
    },
    #[error("`{event}` has several tiers ({known}); choose one with --tier")]
    TierNeeded { event: String, known: String },
    #[error("a race needs at least one user")]
    NoUsers,
    #[error("cannot sign in as the organizer {email} to create the race's event: {source}")]
    OrganizerSignIn {
        email: String,
        #[source]
        source: ApiError,
    },
    #[error(transparent)]
    Api(#[from] ApiError),
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RaceReport {
    pub event_id: Uuid,
    pub event_title: String,
    pub tier_id: Uuid,
    pub tier_name: String,
    pub left_before: i64,
    pub results: Vec<RaceResult>,
    pub remaining_after: i64,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RaceResult {
    pub buyer: usize,
    #[serde(flatten)]
    pub answer: AnswerKind,
    /// The booking reference, for a success.
    pub reference: Option<String>,
    /// Why no HTTP answer came, when none did.
    pub failure: Option<String>,
    pub latency_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub pass: bool,
    pub checks: Vec<Check>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    pub passed: bool,
    pub rule: String,
}

/// The rules of SPEC section 7, applied to what the race observed.
pub fn verdict(left_before: i64, answers: &[AnswerKind], remaining_after: i64) -> Verdict {
    let users = answers.len();
    let booked = answers.iter().filter(|a| a.status == Some(201)).count();
    let others: Vec<&AnswerKind> = answers
        .iter()
        .filter(|a| !matches!(a.status, Some(201 | 409)))
        .collect();
    let rejected = users - booked - others.len();

    let mut sold_rule = format!("{booked} booked; {left_before} tickets were left");
    if i64::try_from(users).unwrap_or(i64::MAX) < left_before {
        sold_rule.push_str(&format!(
            " (only {users} buyers: this race cannot sell the tier out)"
        ));
    }
    let mut rejected_rule = format!("the other {} were rejected with 409", users - booked);
    if !others.is_empty() {
        let listed: Vec<String> = others.iter().map(ToString::to_string).collect();
        rejected_rule = format!(
            "{rejected} of the other {} were rejected with 409; also got: {}",
            users - booked,
            listed.join(", ")
        );
    }
    let checks = vec![
        Check {
            passed: i64::try_from(booked).is_ok_and(|booked| booked == left_before),
            rule: sold_rule,
        },
        Check {
            passed: others.is_empty(),
            rule: rejected_rule,
        },
        Check {
            passed: remaining_after == 0,
            rule: format!("{remaining_after} remaining afterwards"),
        },
    ];
    Verdict {
        pass: checks.iter().all(|check| check.passed),
        checks,
    }
}

/// Registers the buyers, releases their requests together and judges the outcome.
pub async fn run(api: &ApiClient, options: &RaceOptions) -> Result<RaceReport, RaceError> {
    if options.users == 0 {
        return Err(RaceError::NoUsers);
    }
    let names = BuyerNames::new("race");
    let (event, tier) = match &options.target {
        RaceTarget::Existing { event, tier } => {
            let event = find_event(api, event).await?;
            let tier = choose_tier(&event, tier.as_deref())?;
            (event, tier)
        }
        RaceTarget::Fresh {
            tickets,
            organizer_email,
            organizer_password,
        } => {
            fresh_event(
                api,
                names.run(),
                *tickets,
                organizer_email,
                organizer_password,
            )
            .await?
        }
    };
    // Registration also opens one pooled connection per buyer, so the race itself
    // does not wait for connection set-up.
    let buyers = buyers::register_many(api, &names, 0, options.users, options.users, || {}).await?;
    let left_before = i64::from(api.event(event.id).await.map(|e| tier_of(&e, tier.id))?);

    let barrier = Arc::new(Barrier::new(buyers.len()));
    let tasks: Vec<_> = buyers
        .into_iter()
        .map(|buyer| {
            let api = api.clone();
            let barrier = Arc::clone(&barrier);
            let tier_id = tier.id;
            tokio::spawn(async move {
                barrier.wait().await;
                api.book(&buyer.token, tier_id, 1, None).await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(tasks.len());
    for (buyer, task) in tasks.into_iter().enumerate() {
        let (outcome, latency) = task
            .await
            .unwrap_or_else(|error| (BookingOutcome::Failed(error.to_string()), Duration::ZERO));
        results.push(RaceResult {
            buyer: buyer + 1,
            answer: AnswerKind::of(&outcome),
            reference: match &outcome {
                BookingOutcome::Booked(booking) => Some(booking.reference.clone()),
                _ => None,
            },
            failure: match outcome {
                BookingOutcome::Failed(reason) => Some(reason),
                _ => None,
            },
            latency_ms: latency.as_secs_f64() * 1000.0,
        });
    }

    let remaining_after = i64::from(tier_of(&api.event(event.id).await?, tier.id));
    let answers: Vec<AnswerKind> = results.iter().map(|r| r.answer.clone()).collect();
    Ok(RaceReport {
        event_id: event.id,
        event_title: event.title.clone(),
        tier_id: tier.id,
        tier_name: tier.name.clone(),
        left_before,
        verdict: verdict(left_before, &answers, remaining_after),
        results,
        remaining_after,
    })
}

/// Creates and publishes `Race <run> #1` with one tier of `tickets`, one per person.
async fn fresh_event(
    api: &ApiClient,
    run: &str,
    tickets: u32,
    email: &str,
    password: &str,
) -> Result<(Event, Tier), RaceError> {
    let organizer =
        api.login(email, password)
            .await
            .map_err(|source| RaceError::OrganizerSignIn {
                email: email.to_owned(),
                source,
            })?;
    let title = format!("Race {run}");
    let plan = EventPlan {
        title: &title,
        count: 1,
        tickets,
        per_person: 1,
        sale: None,
    };
    let created = create_events(api, &organizer.access_token, &plan).await?;
    let target = created.first().ok_or_else(|| ApiError::Shape {
        what: "no event was created".into(),
    })?;
    let event = api.event(target.event_id).await?;
    let tier = choose_tier(&event, None)?;
    Ok((event, tier))
}

async fn find_event(api: &ApiClient, event: &str) -> Result<Event, RaceError> {
    if let Ok(id) = event.parse::<Uuid>() {
        return Ok(api.event(id).await?);
    }
    api.event_titled(event)
        .await?
        .ok_or_else(|| RaceError::EventNotFound(event.to_owned()))
}

fn choose_tier(event: &Event, name: Option<&str>) -> Result<Tier, RaceError> {
    let known = || {
        event
            .tiers
            .iter()
            .map(|tier| tier.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (name, event.tiers.as_slice()) {
        (Some(name), tiers) => tiers
            .iter()
            .find(|tier| tier.name.eq_ignore_ascii_case(name))
            .cloned()
            .ok_or_else(|| RaceError::TierNotFound {
                event: event.title.clone(),
                tier: name.to_owned(),
                known: known(),
            }),
        (None, [only]) => Ok(only.clone()),
        (None, _) => Err(RaceError::TierNeeded {
            event: event.title.clone(),
            known: known(),
        }),
    }
}

/// A tier's remaining count in a fresh read of its event (0 if the tier is gone).
fn tier_of(event: &Event, tier_id: Uuid) -> i32 {
    event
        .tiers
        .iter()
        .find(|tier| tier.id == tier_id)
        .map_or(0, |tier| tier.remaining)
}

impl fmt::Display for RaceReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "race: {} buyers for `{}` / {} ({} left), released together",
            self.results.len(),
            self.event_title,
            self.tier_name,
            self.left_before
        )?;
        for result in &self.results {
            let detail = result
                .reference
                .as_deref()
                .or(result.failure.as_deref())
                .unwrap_or("");
            writeln!(
                f,
                "  buyer {:>3}: {:<28} {:>9.1} ms  {detail}",
                result.buyer,
                result.answer.to_string(),
                result.latency_ms
            )?;
        }
        for check in &self.verdict.checks {
            let mark = if check.passed { "ok  " } else { "FAIL" };
            writeln!(f, "  {mark} {}", check.rule)?;
        }
        write!(
            f,
            "FINAL VERDICT: {}",
            if self.verdict.pass { "PASS" } else { "FAIL" }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answers(booked: usize, rejected: usize) -> Vec<AnswerKind> {
        let mut answers = vec![
            AnswerKind {
                status: Some(201),
                code: None
            };
            booked
        ];
        answers.extend(vec![
            AnswerKind {
                status: Some(409),
                code: Some("InsufficientTickets".into())
            };
            rejected
        ]);
        answers
    }

    #[test]
    fn exactly_the_tickets_left_sold_and_the_rest_rejected_passes() {
        let verdict = verdict(2, &answers(2, 8), 0);
        assert!(verdict.pass, "{verdict:?}");
        assert_eq!(verdict.checks.len(), 3);
    }

    #[test]
    fn overselling_fails() {
        let verdict = verdict(2, &answers(3, 7), 0);
        assert!(!verdict.pass);
        assert!(!verdict.checks[0].passed);
    }

    #[test]
    fn underselling_fails() {
        let verdict = verdict(2, &answers(1, 9), 1);
        assert!(!verdict.pass);
        assert!(!verdict.checks[0].passed);
        assert!(!verdict.checks[2].passed);
    }

    #[test]
    fn a_race_with_fewer_buyers_than_tickets_fails_and_says_why() {
        let verdict = verdict(1000, &answers(10, 0), 990);
        assert!(!verdict.pass);
        assert!(
            verdict.checks[0].rule.contains("only 10 buyers"),
            "{}",
            verdict.checks[0].rule
        );
    }

    #[test]
    fn any_answer_but_201_or_409_fails() {
        let mut observed = answers(2, 7);
        observed.push(AnswerKind {
            status: Some(503),
            code: Some("Unavailable".into()),
        });
        let verdict = verdict(2, &observed, 0);
        assert!(!verdict.pass);
        assert!(!verdict.checks[1].passed);
        assert!(verdict.checks[1].rule.contains("503 Unavailable"));

        let mut observed = answers(2, 7);
        observed.push(AnswerKind {
            status: None,
            code: None,
        });
        assert!(!super::verdict(2, &observed, 0).pass);
    }

    #[test]
    fn tickets_left_over_fail_the_race() {
        let verdict = verdict(2, &answers(2, 8), 1);
        assert!(!verdict.pass);
        assert!(!verdict.checks[2].passed);
    }

    #[test]
    fn a_sold_out_event_with_everyone_rejected_passes() {
        // Nothing left, nothing sold, all told 409: the rules hold.
        assert!(verdict(0, &answers(0, 10), 0).pass);
    }

    fn tier(name: &str) -> Tier {
        Tier {
            id: Uuid::new_v4(),
            name: name.into(),
            price_cents: 100,
            currency: "USD".into(),
            capacity: 10,
            remaining: 10,
        }
    }

    fn event(tiers: Vec<Tier>) -> Event {
        Event {
            id: Uuid::new_v4(),
            title: "Gig".into(),
            description: String::new(),
            venue: "Hall".into(),
            starts_at: chrono::Utc::now(),
            status: booking_dto::EventStatus::Published,
            max_tickets_per_user: 1,
            hold_minutes: 10,
            offer_minutes: 30,
            sales_start_at: None,
            waiting_room: None,
            total_tickets: 10,
            remaining_tickets: 10,
            lowest_price_cents: Some(100),
            tiers,
        }
    }

    #[test]
    fn the_only_tier_is_chosen_without_a_name() {
        let event = event(vec![tier("GA")]);
        assert_eq!(choose_tier(&event, None).unwrap().name, "GA");
    }

    #[test]
    fn several_tiers_need_a_name_matched_case_insensitively() {
        let event = event(vec![tier("VIP"), tier("GA")]);
        assert!(matches!(
            choose_tier(&event, None),
            Err(RaceError::TierNeeded { .. })
        ));
        assert_eq!(choose_tier(&event, Some("ga")).unwrap().name, "GA");
        assert!(matches!(
            choose_tier(&event, Some("Balcony")),
            Err(RaceError::TierNotFound { .. })
        ));
    }
}
