//! A client of `GET /api/v1/ws`, as a browser would use it.

use booking_dto::{ClientMessage, ServerMessage};
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use reqwest::Url;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{self, Message};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error("`{0}` is not an http:// base URL with a host and port")]
    BaseUrl(String),
    #[error("cannot reach {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("WebSocket: {0}")]
    Socket(#[from] tungstenite::Error),
    #[error("unexpected frame: {0}")]
    Shape(String),
    /// With the close frame's code, when it sent one (1012: restarting, reconnect).
    #[error("the server closed the connection{}", .0.map(|code| format!(" (code {code})")).unwrap_or_default())]
    Closed(Option<u16>),
}

pub struct LiveClient {
    socket: WebSocketStream<TcpStream>,
}

impl LiveClient {
    /// `host:port` and the `ws://` URL of the WebSocket of the API at `base_url`.
    pub fn address(base_url: &str) -> Result<(String, String), LiveError> {
        let bad = || LiveError::BaseUrl(base_url.to_owned());
        let url = Url::parse(base_url).map_err(|_| bad())?;
        let host = url.host_str().ok_or_else(bad)?;
        let port = url.port_or_known_default().ok_or_else(bad)?;
        let addr = format!("{host}:{port}");
        Ok((addr.clone(), format!("ws://{addr}/api/v1/ws")))
    }

    /// Connects and waits for the server's `hello`; returns the server time it carried.
    pub async fn connect(base_url: &str) -> Result<(Self, DateTime<Utc>), LiveError> {
        let (addr, _) = Self::address(base_url)?;
        let stream = TcpStream::connect(&addr)
            .await
            .map_err(|source| LiveError::Connect { addr, source })?;
        Self::over(stream, base_url).await
    }

    /// Like [`connect`](Self::connect), over a TCP connection the caller opened (to set
    /// socket options, say).
    pub async fn over(
        stream: TcpStream,
        base_url: &str,
    ) -> Result<(Self, DateTime<Utc>), LiveError> {
        let (_, url) = Self::address(base_url)?;
        let (socket, _) = tokio_tungstenite::client_async(url, stream).await?;
        let mut client = Self { socket };
        match client.next().await? {
            ServerMessage::Hello { server_time } => Ok((client, server_time)),
            other => Err(LiveError::Shape(format!("expected hello, got {other:?}"))),
        }
    }

    pub async fn subscribe(&mut self, event_ids: &[Uuid]) -> Result<(), LiveError> {
        self.send(&ClientMessage::Subscribe {
            event_ids: event_ids.to_vec(),
        })
        .await
    }

    pub async fn send(&mut self, message: &ClientMessage) -> Result<(), LiveError> {
        let text = serde_json::to_string(message).map_err(|e| LiveError::Shape(e.to_string()))?;
        self.send_text(text).await
    }

    /// Any text frame, for checking how the server treats what it does not expect.
    pub async fn send_text(&mut self, text: String) -> Result<(), LiveError> {
        Ok(self.socket.send(Message::text(text)).await?)
    }

    /// The next message; pings are answered along the way.
    pub async fn next(&mut self) -> Result<ServerMessage, LiveError> {
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str(&text)
                        .map_err(|error| LiveError::Shape(format!("{error}: {text}")));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(LiveError::Closed(frame.map(|frame| frame.code.into())));
                }
                None => return Err(LiveError::Closed(None)),
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
            }
        }
    }
}
