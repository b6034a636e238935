//! Buyer accounts made for a run: each load test registers its own, so runs never share
//! a per-user ticket limit and can be repeated against the same server.

use booking_dto::RegisterRequest;
use futures::{StreamExt, TryStreamExt, stream};

use crate::api::{ApiClient, ApiError};

const PASSWORD: &str = "LoadTest123";

#[derive(Debug, Clone)]
pub struct Buyer {
    pub email: String,
    pub token: String,
}

/// Names one run's buyers apart from every other run's.
#[derive(Debug, Clone)]
pub struct BuyerNames {
    run: String,
    prefix: &'static str,
}

impl BuyerNames {
    pub fn new(prefix: &'static str) -> Self {
        let run = uuid::Uuid::new_v4().simple().to_string();
        Self {
            run: run.chars().take(12).collect(),
            prefix,
        }
    }

    pub fn email(&self, n: usize) -> String {
        format!("{}-{}-{n}@load.example.com", self.prefix, self.run)
    }

    pub fn run(&self) -> &str {
        &self.run
    }
}

pub async fn register(api: &ApiClient, names: &BuyerNames, n: usize) -> Result<Buyer, ApiError> {
    let email = names.email(n);
    let auth = api
        .register(&RegisterRequest {
            email: email.clone(),
            password: PASSWORD.to_owned(),
            name: format!("Load buyer {n}"),
        })
        .await?;
    Ok(Buyer {
        email,
        token: auth.access_token,
    })
}

/// Signs `buyer` in again: its access token ran out (15 minutes at most), which a storm
/// or a watch outlives.
pub async fn sign_in_again(api: &ApiClient, buyer: &mut Buyer) -> Result<(), ApiError> {
    buyer.token = api.login(&buyer.email, PASSWORD).await?.access_token;
    Ok(())
}

/// Registers buyers `first..first + count`, `parallel` at a time (password hashing makes
/// sign-up the slowest call the API has). `on_each` runs after every registration.
pub async fn register_many(
    api: &ApiClient,
    names: &BuyerNames,
    first: usize,
    count: usize,
    parallel: usize,
    on_each: impl Fn(),
) -> Result<Vec<Buyer>, ApiError> {
    stream::iter(first..first + count)
        .map(|n| register(api, names, n))
        .buffered(parallel.max(1))
        .inspect_ok(|_| on_each())
        .try_collect()
        .await
}
