//! The events page: search, sort and pages, all in the URL so a link or Back restores the
//! same view.

use std::time::Duration;

use booking_dto::{Event, EventListParams, EventSortBy, SortOrder};
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api;
use crate::components::event_card::EventCard;
use crate::components::load_error::LoadError;
use crate::components::pagination::Pagination;
use crate::state::counts::use_counts;

const PAGE_SIZE: u32 = 12;
const SEARCH_DEBOUNCE: Duration = Duration::from_millis(300);

/// The view the URL describes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct View {
    search: String,
    sort_by: EventSortBy,
    sort_order: SortOrder,
    page: u32,
}

impl View {
    fn from_query(query: &leptos_router::params::ParamsMap) -> Self {
        let sort_by = parse_sort_by(query.get("sortBy").as_deref().unwrap_or_default());
        let sort_order = match query.get("sortOrder").as_deref() {
            Some("desc") => SortOrder::Desc,
            _ => SortOrder::Asc,
        };
        Self {
            search: query.get("search").unwrap_or_default(),
            sort_by,
            sort_order,
            page: query
                .get("page")
                .and_then(|page| page.parse().ok())
                .filter(|page| *page >= 1)
                .unwrap_or(1),
        }
    }

    /// `/?search=...&sortBy=...`, leaving out what is the default.
    fn href(&self) -> String {
        let mut pairs = Vec::new();
        let search = self.search.trim();
        if !search.is_empty() {
            pairs.push(format!(
                "search={}",
                String::from(js_sys::encode_uri_component(search))
            ));
        }
        if self.sort_by != EventSortBy::Date {
            pairs.push(format!("sortBy={}", sort_by_value(self.sort_by)));
        }
        if self.sort_order != SortOrder::Asc {
            pairs.push("sortOrder=desc".to_owned());
        }
        if self.page > 1 {
            pairs.push(format!("page={}", self.page));
        }
        if pairs.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{}", pairs.join("&"))
        }
    }

    fn params(&self) -> EventListParams {
        let search = self.search.trim();
        EventListParams {
            page: Some(self.page),
            limit: Some(PAGE_SIZE),
            search: (!search.is_empty()).then(|| search.to_owned()),
            sort_by: Some(self.sort_by),
            sort_order: Some(self.sort_order),
        }
    }
}

/// The `sortBy` of a URL or the sort select; anything else sorts by date.
fn parse_sort_by(value: &str) -> EventSortBy {
    match value {
        "price" => EventSortBy::Price,
        "title" => EventSortBy::Title,
        _ => EventSortBy::Date,
    }
}

fn sort_by_value(sort_by: EventSortBy) -> &'static str {
    match sort_by {
        EventSortBy::Date => "date",
        EventSortBy::Price => "price",
        EventSortBy::Title => "title",
    }
}

#[component]
pub fn EventsPage() -> impl IntoView {
    let counts = use_counts();
    let query = use_query_map();
    let navigate = use_navigate();
    let view_state = Memo::new(move |_| View::from_query(&query.read()));
    // `replace`: the step is not worth a Back (typing a search).
    let go = Callback::new(move |(next, replace): (View, bool)| {
        navigate(
            &next.href(),
            NavigateOptions {
                replace,
                scroll: !replace,
                ..Default::default()
            },
        );
    });

    let events = LocalResource::new(move || {
        let params = view_state.get().params();
        counts.resync_count();
        async move { api::events(&params).await }
    });
    Effect::new(move || {
        if let Some(Ok(page)) = events.get() {
            counts.watch(page.data.iter().map(|event| event.id).collect());
        }
    });
    let on_page = Callback::new(move |page: u32| {
        let mut next = view_state.get_untracked();
        next.page = page;
        go.run((next, false));
    });

    let total_pages = RwSignal::new(1_u32);
    view! {
        <section class="page">
            <div class="page-heading">
                <h1>"Events"</h1>
            </div>
            <div class="toolbar" role="search">
                <SearchField view_state go/>
                <SortFields view_state go/>
            </div>
            <Transition fallback=|| view! { <Skeletons/> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(page) => {
                            total_pages
                                .set(u32::try_from(page.meta.total_pages).unwrap_or(1).max(1));
                            let search = view_state.get_untracked().search;
                            view! { <EventGrid events=page.data search/> }.into_any()
                        }
                        Err(error) => view! { <LoadError what="Events" error/> }.into_any(),
                    }
                })}
            </Transition>
            <Pagination page=Signal::derive(move || view_state.get().page) total_pages on_page/>
        </section>
    }
}

/// The search box: what is typed shows at once; the URL (and the request) follow 300 ms
/// after the last key.
#[component]
fn SearchField(view_state: Memo<View>, go: Callback<(View, bool)>) -> impl IntoView {
    let search_input = RwSignal::new(view_state.get_untracked().search);
    Effect::new(move || search_input.set(view_state.get().search));
    let pending_search = StoredValue::new_local(None::<TimeoutHandle>);
    let on_search = move |event: leptos::ev::Event| {
        let text = event_target_value(&event);
        search_input.set(text.clone());
        if let Some(handle) = pending_search.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || {
                let mut next = view_state.get_untracked();
                if next.search != text {
                    next.search = text;
                    next.page = 1;
                    go.run((next, true));
                }
            },
            SEARCH_DEBOUNCE,
        )
        .ok();
        pending_search.set_value(handle);
    };
    view! {
        <div class="field field-search">
            <label for="event-search">"Search events"</label>
            <input
                id="event-search"
                type="search"
                placeholder="Title or venue"
                autocomplete="off"
                prop:value=move || search_input.get()
                on:input=on_search
            />
        </div>
    }
}

/// "Sort by" and "Order": a change goes back to the first page.
#[component]
fn SortFields(view_state: Memo<View>, go: Callback<(View, bool)>) -> impl IntoView {
    let change = move |apply: &dyn Fn(&mut View)| {
        let mut next = view_state.get_untracked();
        apply(&mut next);
        next.page = 1;
        go.run((next, false));
    };
    let on_sort_by = move |event: leptos::ev::Event| {
        let sort_by = parse_sort_by(&event_target_value(&event));
        change(&|next| next.sort_by = sort_by);
    };
    let on_sort_order = move |event: leptos::ev::Event| {
        let sort_order = if event_target_value(&event) == "desc" {
            SortOrder::Desc
        } else {
            SortOrder::Asc
        };
        change(&|next| next.sort_order = sort_order);
    };
    let sort_options = [
        (EventSortBy::Date, "Date"),
        (EventSortBy::Price, "Price"),
        (EventSortBy::Title, "Title"),
    ]
    .into_iter()
    .map(|(sort_by, label)| {
        view! {
            <option value=sort_by_value(sort_by) selected=move || view_state.get().sort_by == sort_by>
                {label}
            </option>
        }
    })
    .collect_view();
    let order_is = move |order: SortOrder| move || view_state.get().sort_order == order;
    view! {
        <div class="field">
            <label for="event-sort">"Sort by"</label>
            <select id="event-sort" on:change=on_sort_by>
                {sort_options}
            </select>
        </div>
        <div class="field">
            <label for="event-order">"Order"</label>
            <select id="event-order" on:change=on_sort_order>
                <option value="asc" selected=order_is(SortOrder::Asc)>"Ascending"</option>
                <option value="desc" selected=order_is(SortOrder::Desc)>"Descending"</option>
            </select>
        </div>
    }
}

/// One page of events, or why there are none (`search`: what the list was searched for).
#[component]
fn EventGrid(events: Vec<Event>, search: String) -> impl IntoView {
    if events.is_empty() {
        let message = if search.trim().is_empty() {
            "No upcoming events yet. Check back soon.".to_owned()
        } else {
            format!("No events match “{}”.", search.trim())
        };
        return view! { <p class="empty">{message}</p> }.into_any();
    }
    view! {
        <div class="event-grid">
            {events.into_iter().map(|event| view! { <EventCard event/> }).collect_view()}
        </div>
    }
    .into_any()
}

/// Grey card shapes while the first page loads, so the layout does not jump.
#[component]
fn Skeletons() -> impl IntoView {
    view! {
        <div class="event-grid" aria-busy="true" aria-label="Loading events">
            {(0..6)
                .map(|_| {
                    view! {
                        <div class="event-card skeleton" aria-hidden="true">
                            <div class="skeleton-line skeleton-title"></div>
                            <div class="skeleton-line"></div>
                            <div class="skeleton-line skeleton-short"></div>
                        </div>
                    }
                })
                .collect_view()}
        </div>
    }
}
