//! One WebSocket connection: its queue out to the socket, its frames in.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use booking_dto::{ClientMessage, ServerMessage};
use bytestring::ByteString;
use chrono::Utc;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, timeout};
use uuid::Uuid;

use super::hub::ClientId;
use super::{Live, encode};
use crate::auth::AuthSettings;
use crate::metrics::DropReason;

/// More event ids than any page shows; a longer subscription is refused.
pub const MAX_SUBSCRIBED_EVENTS: usize = 1_000;
/// How long a goodbye may take before the connection is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// How the session ended.
enum End {
    /// The client closed, or the connection went away.
    Closed,
    /// The hub dropped the client for a full queue and already counted it.
    Dropped,
    /// A write took longer than the client timeout.
    Stalled,
    /// No frame from the client, not even a pong, within the client timeout.
    Silent,
    /// The server is stopping.
    Stopping,
}

/// Serves one upgraded connection until it ends; runs on the worker that accepted it.
/// `auth` checks the access tokens a client authenticates with.
pub async fn run(
    live: Live,
    auth: Arc<AuthSettings>,
    mut session: Session,
    mut frames: MessageStream,
) {
    let id = live.new_client_id();
    let (queue, mut outgoing) = mpsc::channel::<ByteString>(live.settings.queue);
    live.hub().join(id, queue);
    let settings = live.settings.clone();
    let mut heartbeat = tokio::time::interval(settings.heartbeat);
    let mut last_heard = Instant::now();
    let hello = encode(&ServerMessage::Hello {
        server_time: Utc::now(),
    });
    let mut end = send(&live, &mut session, hello).await.err();
    let closing = live.until_closing();
    tokio::pin!(closing);
    while end.is_none() {
        end = tokio::select! {
            () = &mut closing => Some(End::Stopping),
            message = outgoing.recv() => match message {
                Some(text) => send(&live, &mut session, text).await.err(),
                None => Some(End::Dropped),
            },
            frame = frames.next() => {
                last_heard = Instant::now();
                match frame {
                    Some(Ok(Message::Text(text))) => {
                        reply_to(&live, &auth, id, &mut session, &text).await.err()
                    }
                    Some(Ok(Message::Ping(bytes))) => {
                        write(&settings.client_timeout, session.pong(&bytes)).await.err()
                    }
                    Some(Ok(Message::Close(_)) | Err(_)) | None => Some(End::Closed),
                    Some(Ok(_)) => None,
                }
            }
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > settings.client_timeout {
                    Some(End::Silent)
                } else {
                    write(&settings.client_timeout, session.ping(b"")).await.err()
                }
            }
        };
    }
    let close = match end {
        Some(End::Closed) | None => None,
        Some(End::Dropped | End::Stalled) => Some(CloseReason {
            code: CloseCode::Policy,
            description: Some("too slow: updates were not being read".into()),
        }),
        Some(End::Silent) => Some(CloseReason {
            code: CloseCode::Away,
            description: Some("no answer to pings".into()),
        }),
        Some(End::Stopping) => Some(CloseReason {
            code: CloseCode::Restart,
            description: Some("the server is restarting: reconnect".into()),
        }),
    };
    match end {
        Some(End::Stalled) => live.metrics.dropped(DropReason::Slow),
        Some(End::Silent) => live.metrics.dropped(DropReason::Silent),
        _ => {}
    }
    live.hub().leave(id);
    let _ = timeout(CLOSE_TIMEOUT, session.close(close)).await;
}

async fn send(live: &Live, session: &mut Session, text: ByteString) -> Result<(), End> {
    write(&live.settings.client_timeout, session.text(text)).await?;
    live.metrics.messages_sent.inc();
    Ok(())
}

/// A write that gives up on a client that stopped reading.
async fn write(
    limit: &Duration,
    write: impl Future<Output = Result<(), actix_ws::Closed>>,
) -> Result<(), End> {
    match timeout(*limit, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(actix_ws::Closed)) => Err(End::Closed),
        Err(_) => Err(End::Stalled),
    }
}

/// The connection speaks for `user` from now on; the client is told so.
async fn identify(
    live: &Live,
    id: ClientId,
    session: &mut Session,
    user: Option<Uuid>,
) -> Result<(), End> {
    live.hub().identify(id, user);
    send(
        live,
        session,
        encode(&ServerMessage::Authenticated { user_id: user }),
    )
    .await
}

async fn reply_to(
    live: &Live,
    auth: &AuthSettings,
    id: ClientId,
    session: &mut Session,
    text: &str,
) -> Result<(), End> {
    match serde_json::from_str::<ClientMessage>(text) {
        Ok(ClientMessage::Authenticate { token }) => match auth.jwt.verify(&token) {
            Ok(subject) => identify(live, id, session, Some(subject.user_id)).await,
            Err(error) => {
                let message = format!("not signed in: {error}");
                send(live, session, encode(&ServerMessage::Error { message })).await
            }
        },
        Ok(ClientMessage::SignOut) => identify(live, id, session, None).await,
        Ok(ClientMessage::Subscribe { event_ids }) if event_ids.len() <= MAX_SUBSCRIBED_EVENTS => {
            live.hub()
                .subscribe(id, event_ids.into_iter().collect::<HashSet<_>>());
            Ok(())
        }
        Ok(ClientMessage::Subscribe { .. }) => {
            let message = format!("subscribe to at most {MAX_SUBSCRIBED_EVENTS} events");
            send(live, session, encode(&ServerMessage::Error { message })).await
        }
        Err(error) => {
            let message = format!("not a message this server understands: {error}");
            send(live, session, encode(&ServerMessage::Error { message })).await
        }
    }
}
