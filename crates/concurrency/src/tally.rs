//! Booking responses counted by status code and problem code.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::api::{ApiError, BookingOutcome, ScanOutcome};

/// One kind of answer: `201`, `409 InsufficientTickets`, or no HTTP answer at all.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerKind {
    /// `None` when no HTTP response came back (connection error or timeout).
    pub status: Option<u16>,
    pub code: Option<String>,
}

impl AnswerKind {
    pub fn of(outcome: &BookingOutcome) -> Self {
        match outcome {
            BookingOutcome::Booked(_) => Self {
                status: Some(201),
                code: None,
            },
            BookingOutcome::Refused { status, code } => Self {
                status: Some(*status),
                code: code.map(|code| format!("{code:?}")),
            },
            BookingOutcome::Failed(_) => Self {
                status: None,
                code: None,
            },
        }
    }

    pub fn of_scan(outcome: &ScanOutcome) -> Self {
        match outcome {
            ScanOutcome::Answered { status, code } => Self {
                status: Some(*status),
                code: code.map(|code| format!("{code:?}")),
            },
            ScanOutcome::Failed(_) => Self {
                status: None,
                code: None,
            },
        }
    }

    /// A success with `status`.
    pub fn success(status: u16) -> Self {
        Self {
            status: Some(status),
            code: None,
        }
    }

    /// What a failed call came to: its status and problem code, or no answer at all
    /// (an answer in an unexpected shape counts as none).
    pub fn of_error(error: &ApiError) -> Self {
        match error {
            ApiError::Status {
                status, problem, ..
            } => Self {
                status: Some(status.as_u16()),
                code: problem
                    .as_ref()
                    .map(|problem| format!("{:?}", problem.code)),
            },
            ApiError::Transport { .. } | ApiError::Shape { .. } => Self {
                status: None,
                code: None,
            },
        }
    }

    pub fn is_server_error(&self) -> bool {
        self.status.is_some_and(|status| status >= 500)
    }
}

impl fmt::Display for AnswerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.status, &self.code) {
            (None, _) => f.write_str("no response"),
            (Some(status), None) => write!(f, "{status}"),
            (Some(status), Some(code)) => write!(f, "{status} {code}"),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    counts: BTreeMap<AnswerKind, u64>,
}

/// A tally as JSON: one entry per kind of answer, in status order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TallyEntry {
    #[serde(flatten)]
    pub kind: AnswerKind,
    pub count: u64,
}

impl Tally {
    pub fn add(&mut self, outcome: &BookingOutcome) {
        *self.counts.entry(AnswerKind::of(outcome)).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Self) {
        for (kind, count) in &other.counts {
            *self.counts.entry(kind.clone()).or_default() += count;
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub fn booked(&self) -> u64 {
        self.count_where(|kind| kind.status == Some(201))
    }

    pub fn server_errors(&self) -> u64 {
        self.count_where(AnswerKind::is_server_error)
    }

    /// Requests whose fate the client cannot know: no answer, or a 5xx. Each may or may
    /// not have booked.
    pub fn unknown_outcomes(&self) -> u64 {
        self.count_where(|kind| kind.status.is_none() || kind.is_server_error())
    }

    fn count_where(&self, keep: impl Fn(&AnswerKind) -> bool) -> u64 {
        self.counts
            .iter()
            .filter(|(kind, _)| keep(kind))
            .map(|(_, count)| count)
            .sum()
    }

    pub fn entries(&self) -> Vec<TallyEntry> {
        self.counts
            .iter()
            .map(|(kind, count)| TallyEntry {
                kind: kind.clone(),
                count: *count,
            })
            .collect()
    }
}
