//! Accounts: the rules a new user's email, password and name must meet, and roles.

use std::fmt;

use crate::text_enum::text_enum;
use crate::validation::ValidationErrors;

/// Longest address SMTP can carry (RFC 5321: 254 octets in a path).
const EMAIL_MAX_LEN: usize = 254;
const EMAIL_LOCAL_MAX_LEN: usize = 64;
pub const PASSWORD_MIN_CHARS: usize = 8;
/// bcrypt reads only the first 72 bytes; longer passwords would be silently cut, so refuse them.
pub const PASSWORD_MAX_BYTES: usize = 72;
pub const NAME_MIN_CHARS: usize = 2;
pub const NAME_MAX_CHARS: usize = 100;

/// A syntactically valid email address, trimmed and lower-cased: emails are compared
/// case-insensitively, so the stored form is the comparison form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("is required")]
    Empty,
    #[error("must be at most {EMAIL_MAX_LEN} characters")]
    TooLong,
    #[error("is not a valid email address")]
    Malformed,
}

impl Email {
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let candidate = raw.trim();
        if candidate.is_empty() {
            return Err(EmailError::Empty);
        }
        if candidate.len() > EMAIL_MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = candidate.split_once('@').ok_or(EmailError::Malformed)?;
        if !is_valid_local_part(local) || !is_valid_domain(domain) {
            return Err(EmailError::Malformed);
        }
        Ok(Self(candidate.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_local_part(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= EMAIL_LOCAL_MAX_LEN
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
}

/// A host name with at least two labels (`example.com`), each label letters, digits and
/// inner hyphens: what a real mailbox needs, without the rarely used literal forms.
fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password that meets the account rules. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("must be at least {PASSWORD_MIN_CHARS} characters")]
    TooShort,
    #[error("must be at most {PASSWORD_MAX_BYTES} bytes")]
    TooLong,
    #[error("must contain a letter")]
    MissingLetter,
    #[error("must contain a digit")]
    MissingDigit,
}

impl Password {
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        if raw.chars().count() < PASSWORD_MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if raw.len() > PASSWORD_MAX_BYTES {
            return Err(PasswordError::TooLong);
        }
        if !raw.chars().any(char::is_alphabetic) {
            return Err(PasswordError::MissingLetter);
        }
        if !raw.chars().any(|c| c.is_ascii_digit()) {
            return Err(PasswordError::MissingDigit);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A display name: trimmed, 2 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UserNameError {
    #[error("must be at least {NAME_MIN_CHARS} characters")]
    TooShort,
    #[error("must be at most {NAME_MAX_CHARS} characters")]
    TooLong,
    #[error("must not contain control characters")]
    ControlCharacter,
}

impl UserName {
    pub fn parse(raw: &str) -> Result<Self, UserNameError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars < NAME_MIN_CHARS {
            return Err(UserNameError::TooShort);
        }
        if chars > NAME_MAX_CHARS {
            return Err(UserNameError::TooLong);
        }
        if name.chars().any(char::is_control) {
            return Err(UserNameError::ControlCharacter);
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Everything needed to open an account, every field already valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    pub email: Email,
    pub password: Password,
    pub name: UserName,
}

impl NewAccount {
    /// Checks all three fields and reports every failure, not only the first.
    pub fn parse(email: &str, password: &str, name: &str) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::new();
        let email = errors.check("email", Email::parse(email));
        let password = errors.check("password", Password::parse(password));
        let name = errors.check("name", UserName::parse(name));
        match (email, password, name) {
            (Some(email), Some(password), Some(name)) => Ok(Self {
                email,
                password,
                name,
            }),
            _ => Err(errors),
        }
    }
}

text_enum! {
    pub enum Role / UnknownRole ("role") {
        Customer => "customer",
        Organizer => "organizer",
        Admin => "admin",
    }
}

/// The person asking: who they are and what role they act in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: uuid::Uuid,
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Alice.Smith@Example.COM ").map(|e| e.as_str().to_owned());
        assert_eq!(email, Ok("alice.smith@example.com".to_owned()));
    }

    #[test]
    fn common_valid_emails_parse() {
        for raw in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "o'brien@example.ie",
            "x_y-z@my-host.example",
        ] {
            assert!(Email::parse(raw).is_ok(), "{raw} should be valid");
        }
    }

    #[test]
    fn empty_email_is_required() {
        assert_eq!(Email::parse("   "), Err(EmailError::Empty));
    }

    #[test]
    fn overlong_email_is_rejected() {
        let raw = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&raw), Err(EmailError::TooLong));
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for raw in [
            "plainaddress",
            "@example.com",
            "alice@",
            "alice@localhost",
            "alice@@example.com",
            "alice@exa mple.com",
            "al ice@example.com",
            ".alice@example.com",
            "alice.@example.com",
            "al..ice@example.com",
            "alice@-example.com",
            "alice@example-.com",
            "alice@example..com",
            "alice@example.com.",
            &format!("{}@example.com", "a".repeat(65)),
        ] {
            assert_eq!(Email::parse(raw), Err(EmailError::Malformed), "{raw}");
        }
    }

    #[test]
    fn password_needs_eight_characters() {
        assert_eq!(Password::parse("abc1234"), Err(PasswordError::TooShort));
        assert!(Password::parse("abcd1234").is_ok());
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        // Seven characters, fourteen bytes: still too short.
        assert_eq!(Password::parse("ééééé1é"), Err(PasswordError::TooShort));
    }

    #[test]
    fn password_over_bcrypt_limit_is_rejected() {
        let raw = format!("a1{}", "b".repeat(71));
        assert_eq!(Password::parse(&raw), Err(PasswordError::TooLong));
        assert!(Password::parse(&format!("a1{}", "b".repeat(70))).is_ok());
    }

    #[test]
    fn password_needs_a_letter() {
        assert_eq!(
            Password::parse("12345678"),
            Err(PasswordError::MissingLetter)
        );
    }

    #[test]
    fn password_needs_a_digit() {
        assert_eq!(
            Password::parse("abcdefgh"),
            Err(PasswordError::MissingDigit)
        );
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let password = Password::parse("Password123").map(|p| format!("{p:?}"));
        assert_eq!(password, Ok("Password(<redacted>)".to_owned()));
    }

    #[test]
    fn names_are_trimmed_and_need_two_characters() {
        assert_eq!(UserName::parse(" A "), Err(UserNameError::TooShort));
        assert_eq!(
            UserName::parse(" Al ").map(|n| n.as_str().to_owned()),
            Ok("Al".into())
        );
    }

    #[test]
    fn names_have_an_upper_bound() {
        assert_eq!(
            UserName::parse(&"x".repeat(101)),
            Err(UserNameError::TooLong)
        );
        assert!(UserName::parse(&"x".repeat(100)).is_ok());
    }

    #[test]
    fn names_reject_control_characters() {
        assert_eq!(
            UserName::parse("Al\u{7}ice"),
            Err(UserNameError::ControlCharacter)
        );
    }

    #[test]
    fn new_account_reports_every_bad_field() {
        let errors = NewAccount::parse("nope", "short", "x")
            .err()
            .unwrap_or_default();
        let fields: Vec<&str> = errors.fields().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["email", "password", "name"]);
    }

    #[test]
    fn new_account_accepts_valid_input() {
        let account = NewAccount::parse("Bob@Example.com", "Password123", "Bob");
        assert_eq!(
            account.map(|a| a.email.as_str().to_owned()),
            Ok("bob@example.com".into())
        );
    }

    #[test]
    fn every_role_round_trips_through_its_spelling() {
        for &role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    proptest! {
        #[test]
        fn any_accepted_password_meets_every_rule(raw in "\\PC{0,80}") {
            if Password::parse(&raw).is_ok() {
                prop_assert!(raw.chars().count() >= PASSWORD_MIN_CHARS);
                prop_assert!(raw.len() <= PASSWORD_MAX_BYTES);
                prop_assert!(raw.chars().any(char::is_alphabetic));
                prop_assert!(raw.chars().any(|c| c.is_ascii_digit()));
            }
        }

        #[test]
        fn parsed_emails_are_stable_under_reparsing(local in "[a-zA-Z0-9._%+-]{1,20}", host in "[a-zA-Z0-9]{1,10}", tld in "[a-zA-Z]{2,6}") {
            if let Ok(email) = Email::parse(&format!("{local}@{host}.{tld}")) {
                prop_assert_eq!(Email::parse(email.as_str()), Ok(email.clone()));
                prop_assert_eq!(email.as_str().to_lowercase(), email.as_str());
            }
        }
    }
}
