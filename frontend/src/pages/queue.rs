//! The waiting room of a big on-sale, `/events/:id/queue`: the buyer's place, the people
//! ahead, an estimate and a progress bar, all moved by the live `queue` messages; then
//! "You're in: book now" with the pass's time left, or "Sold out". Its code loads on the
//! first visit (`#[lazy]`).

use booking_dto::{Event, QueueState, QueueStatus};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api;
use crate::browser;
use crate::components::hold_countdown::seconds_left;
use crate::components::load_error::LoadError;
use crate::components::require_auth::RequireAuth;
use crate::components::sale_countdown::SaleCountdown;
use crate::format;
use crate::state::counts::use_counts;
use crate::state::passes::use_passes;
use crate::state::session::use_session;

#[component]
pub fn WaitingRoomPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| Uuid::parse_str(&id).ok())
    };
    view! {
        <section class="page">
            <RequireAuth>
                {move || {
                    id().map(|event_id| {
                        view! {
                            <Suspense fallback=|| view! { <p class="loading">"Opening the waiting room…"</p> }>
                                {Suspend::new(room_view(event_id))}
                            </Suspense>
                        }
                    })
                }}
            </RequireAuth>
        </section>
    }
}

#[lazy]
fn room_view(event_id: Uuid) -> AnyView {
    view! { <Room event_id/> }.into_any()
}

#[component]
fn Room(event_id: Uuid) -> impl IntoView {
    let session = use_session();
    let counts = use_counts();
    Effect::new(move || counts.watch(vec![event_id]));
    // The first read takes the place (or answers the one there is); later ones only look.
    // An event without a room is never asked for one.
    let reads = RwSignal::new(0_u32);
    let room = LocalResource::new(move || {
        let first = reads.get() == 0;
        async move {
            let event = api::event(event_id).await?;
            if event.waiting_room.is_none() {
                return Ok((event, None));
            }
            let status = if first {
                api::join_queue(session, event_id).await
            } else {
                api::queue_status(session, event_id).await
            }?;
            Ok::<_, api::ApiError>((event, Some(status)))
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Opening the waiting room…"</p> }>
            {move || Suspend::new(async move {
                match room.await {
                    Ok((event, Some(status))) => {
                        view! { <Standing event status reads/> }.into_any()
                    }
                    Ok((event, None)) => {
                        let back = format!("/events/{}", event.id);
                        view! {
                            <h1>"No waiting room"</h1>
                            <p>{format!("{} sells without a waiting room.", event.title)}</p>
                            <p><A href=back>"Back to the event"</A></p>
                        }
                        .into_any()
                    }
                    Err(error) => {
                        view! {
                            <h1>"Waiting room"</h1>
                            <LoadError what="The waiting room" error/>
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The buyer's standing, moved by what the live feed says the room admitted: when it
/// reaches their place, or the event sells out, or the draw gives them one, the standing
/// is read again (`reads`).
#[component]
fn Standing(event: Event, status: QueueStatus, reads: RwSignal<u32>) -> impl IntoView {
    let counts = use_counts();
    let passes = use_passes();
    let event_id = event.id;
    let position = status.position;
    let state = status.status;
    if let (Some(pass), Some(expires_at)) = (status.pass.clone(), status.pass_expires_at) {
        passes.keep(event_id, pass, expires_at);
    }
    let through = Memo::new(move |_| {
        counts
            .queue(event_id)
            .map_or(status.admitted_through, |(through, _)| through)
            .max(status.admitted_through)
    });
    let sold_out = Memo::new(move |_| counts.queue(event_id).is_some_and(|(_, sold_out)| sold_out));
    Effect::new(move || {
        let heard = counts.queue(event_id).is_some();
        let reached = position.is_some_and(|position| through.get() >= position);
        let drawn = position.is_none() && heard;
        if state == QueueState::Waiting && (reached || drawn || sold_out.get()) {
            reads.update(|n| *n += 1);
        }
    });
    let title = event.title.clone();
    let per_minute = event
        .waiting_room
        .map_or(1, |room| room.admit_per_minute.max(1));
    let headline = match state {
        QueueState::Waiting => format!("You're in the waiting room for {title}"),
        QueueState::Admitted => "You're in: book now".to_owned(),
        QueueState::Expired => "Your turn has passed".to_owned(),
        QueueState::SoldOut => format!("{title} is sold out"),
    };
    let event_page = format!("/events/{event_id}");
    let body = match state {
        QueueState::Waiting => match position {
            None => {
                let start = event.sales_start_at.unwrap_or(event.starts_at);
                let when = format::when_at(start, browser::local_offset_seconds(start));
                view! {
                    <p class="queue-note">
                        "The sale starts " {when} ". Everyone here before then gets a place in line by one random draw at that moment, so there is no need to hurry or reload."
                    </p>
                    <SaleCountdown start/>
                }
                .into_any()
            }
            Some(position) => {
                let ahead = move || (position - through.get() - 1).max(0);
                let minutes = move || (ahead() + per_minute as i64 - 1) / per_minute as i64;
                view! {
                    <p class="queue-place">
                        "Your place in line: " <strong>{format::count(position)}</strong>
                    </p>
                    <p class="queue-ahead">
                        {move || format!("{} ahead of you", format::count(ahead()))}
                        " · "
                        {move || match minutes() {
                            0 => "less than a minute to go".to_owned(),
                            1 => "about a minute to go".to_owned(),
                            n => format!("about {n} minutes to go"),
                        }}
                    </p>
                    <progress
                        class="queue-progress"
                        aria-label="Your way through the line"
                        max=position.to_string()
                        value=move || through.get().min(position).to_string()
                    ></progress>
                    <p class="queue-note">
                        "Keep this page open: it moves by itself. Leaving or reloading keeps your place."
                    </p>
                }
                .into_any()
            }
        },
        QueueState::Admitted => {
            let expires_at = status.pass_expires_at.unwrap_or_else(chrono::Utc::now);
            let left = seconds_left(expires_at);
            view! {
                <p class="queue-note">
                    "Pick your tickets and check out before your turn ends: "
                    <strong class="queue-clock">{move || format::countdown(left.get())}</strong>
                    " left."
                </p>
                <p><A href=event_page.clone() attr:class="button button-primary">"Book now"</A></p>
            }
            .into_any()
        }
        QueueState::Expired => view! {
            <p class="queue-note">
                "You were let in, but the time to book ran out, so the next in line got the turn."
            </p>
            <p><A href=event_page.clone()>"Back to the event"</A></p>
        }
        .into_any(),
        QueueState::SoldOut => view! {
            <p class="queue-note">
                "Every ticket is taken. If some come back, they go to the waiting list first: you can join it on the event's page."
            </p>
            <p><A href=event_page.clone()>"Join the waiting list"</A></p>
        }
        .into_any(),
    };
    view! {
        <div class="waiting-room">
            <h1 role="status" aria-live="polite">{headline}</h1>
            {body}
        </div>
    }
}
