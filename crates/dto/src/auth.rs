use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterRequest {
    #[cfg_attr(feature = "openapi", schema(format = Email, max_length = 254))]
    pub email: String,
    /// 8+ characters with a letter and a digit.
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 8,
            max_length = 72,
            pattern = "^.*([A-Za-z].*[0-9]|[0-9].*[A-Za-z]).*$"
        )
    )]
    pub password: String,
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 2,
            max_length = 100,
            pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
        )
    )]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginRequest {
    /// No NUL character: the server refuses any in a body (400), as PostgreSQL stores none.
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^\\u0000]*$"))]
    pub email: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[^\\u0000]*$"))]
    pub password: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Organizer,
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
}

/// Returned by register, login and refresh. The refresh token travels only in an httpOnly
/// cookie, never in this body, so page scripts cannot read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct AuthResponse {
    pub user: User,
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_response_uses_camel_case() {
        let response = AuthResponse {
            user: User {
                id: Uuid::nil(),
                email: "a@b.co".into(),
                name: "Al".into(),
                role: Role::Organizer,
            },
            access_token: "t".into(),
            expires_in: 900,
        };
        let json = serde_json::to_value(&response).unwrap_or_default();
        assert_eq!(json["accessToken"], "t");
        assert_eq!(json["expiresIn"], 900);
        assert_eq!(json["user"]["role"], "organizer");
    }

    #[test]
    fn requests_refuse_unknown_fields() {
        let parsed = serde_json::from_str::<LoginRequest>(
            r#"{"email":"a@b.co","password":"x","admin":true}"#,
        );
        assert!(parsed.is_err());
    }
}
