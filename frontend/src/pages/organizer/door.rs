//! The door of one event: a code field a hand scanner types into (the code, then Enter),
//! a large green or red answer with the holder's name and tier, and the count of tickets
//! checked in, which changes on every door's screen as tickets are scanned anywhere.

use booking_dto::{CheckIn, CheckInSummary, ErrorCode, Event};
use leptos::html;
use leptos::prelude::*;

use super::{RequireOrganizer, managed_event_of_route};
use crate::actions::write_action;
use crate::api::{self, ApiError};
use crate::browser;
use crate::components::load_error::LoadError;
use crate::format;
use crate::state::counts::use_counts;
use crate::state::session::use_session;

#[component]
pub fn DoorPage() -> impl IntoView {
    view! {
        <RequireOrganizer>
            <Door/>
        </RequireOrganizer>
    }
}

#[component]
fn Door() -> impl IntoView {
    let event = managed_event_of_route();
    view! {
        <section class="page door">
            <Transition fallback=|| view! { <p class="loading">"Loading the door…"</p> }>
                {move || Suspend::new(async move {
                    match event.await {
                        Ok(Some(event)) => view! { <Scanner event/> }.into_any(),
                        Ok(None) => view! { <h1>"Event not found"</h1> }.into_any(),
                        Err(error) => view! {
                            <h1>"Door"</h1>
                            <LoadError what="The event" error/>
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What the last scan came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scan {
    Admitted(CheckIn),
    Refused(String),
}

#[component]
fn Scanner(event: Event) -> impl IntoView {
    let session = use_session();
    let counts = use_counts();
    let id = event.id;
    let code = RwSignal::new(String::new());
    let last = RwSignal::new(None::<Scan>);
    let field = NodeRef::<html::Input>::new();
    // Read again after every scan here and whenever any door admits someone.
    let scanned = RwSignal::new(0_u32);
    Effect::new(move || counts.watch(vec![id]));
    let summary = LocalResource::new(move || {
        scanned.get();
        counts.check_ins(id);
        async move { api::check_in_summary(session, id).await }
    });
    let scan = write_action(
        move |code: &String| {
            let code = code.clone();
            async move { api::check_in(session, id, &code).await }
        },
        move |answer| {
            last.set(Some(match answer {
                Ok(admitted) => Scan::Admitted(admitted),
                Err(error) => Scan::Refused(refusal(&error)),
            }));
            code.set(String::new());
            scanned.update(|n| *n = n.wrapping_add(1));
            if let Some(input) = field.get_untracked() {
                let _ = input.focus();
            }
        },
    );
    let on_submit = move |submit: leptos::ev::SubmitEvent| {
        submit.prevent_default();
        let typed = code.get_untracked().trim().to_owned();
        if !typed.is_empty() && !scan.pending().get_untracked() {
            scan.dispatch(typed);
        }
    };
    view! {
        <p class="back-link"><a href=format!("/organizer/events/{id}")>"← " {event.title.clone()}</a></p>
        <h1>"Door: " {event.title.clone()}</h1>
        <Transition fallback=|| view! { <p class="door-count">"Counting…"</p> }>
            {move || Suspend::new(async move {
                match summary.await {
                    Ok(summary) => view! { <DoorCount summary/> }.into_any(),
                    Err(error) => view! { <LoadError what="The count" error/> }.into_any(),
                }
            })}
        </Transition>
        // Above the field: on a phone the answer shows where the door looks.
        <div class="door-result-region" role="status" aria-live="assertive">
            {move || last.get().map(|scan| view! { <ScanResult scan/> })}
        </div>
        <form class="form door-form" on:submit=on_submit>
            <div class="field">
                <label for="door-code">"Ticket code"</label>
                <p class="field-hint" id="door-code-hint">"Scan the QR code, or type the code and press Enter."</p>
                <input
                    id="door-code"
                    node_ref=field
                    autocomplete="off"
                    autofocus
                    aria-describedby="door-code-hint"
                    prop:value=move || code.get()
                    on:input=move |input| code.set(event_target_value(&input))
                />
            </div>
            <button type="submit" class="button button-primary button-large" disabled=move || scan.pending().get()>
                "Check in"
            </button>
        </form>
    }
}

/// "312 of 1,500 checked in", and per tier.
#[component]
fn DoorCount(summary: CheckInSummary) -> impl IntoView {
    let tiers = summary
        .tiers
        .iter()
        .map(|tier| {
            view! {
                <li>{tier.tier_name.clone()} ": " {format::count(tier.checked_in)} " of " {format::count(tier.total)}</li>
            }
        })
        .collect_view();
    view! {
        <p class="door-count">
            <strong>{format::count(summary.checked_in)}</strong>
            " of " {format::count(summary.total)} " checked in"
        </p>
        <ul class="door-tiers">{tiers}</ul>
    }
}

#[component]
fn ScanResult(scan: Scan) -> impl IntoView {
    match scan {
        Scan::Admitted(admitted) => {
            let at = format::when_at(
                admitted.checked_in_at,
                browser::local_offset_seconds(admitted.checked_in_at),
            );
            view! {
                <div class="door-result door-ok">
                    <p class="door-verdict">"Admitted"</p>
                    <p class="door-holder">{admitted.holder_name}</p>
                    <p>{admitted.tier_name} " · " {at}</p>
                </div>
            }
            .into_any()
        }
        Scan::Refused(reason) => view! {
            <div class="door-result door-refused">
                <p class="door-verdict">"Not admitted"</p>
                <p>{reason}</p>
            </div>
        }
        .into_any(),
    }
}

/// Why a scan did not admit, in the words a door needs.
fn refusal(error: &ApiError) -> String {
    match error.code() {
        Some(ErrorCode::AlreadyCheckedIn) => match error.checked_in_at() {
            Some(at) => format!(
                "Already checked in at {}.",
                format::when_at(at, browser::local_offset_seconds(at))
            ),
            None => "Already checked in.".to_owned(),
        },
        Some(ErrorCode::TicketVoid) => "Void: this ticket's booking was cancelled.".to_owned(),
        Some(ErrorCode::InvalidTicketCode) => "Not a valid ticket code.".to_owned(),
        Some(ErrorCode::TicketNotFound) => "Not a ticket for this event.".to_owned(),
        _ => error.message(),
    }
}
