//! Enums that are stored and sent as fixed lower-case words (`"published"`, `"admin"`).

/// Declares such an enum with `ALL`, `as_str`, `FromStr` and its parse error, so every
/// spelling is written once, next to its variant.
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident / $error:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        #[doc = concat!("A word that names no ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("unknown {what} `{0}`", what = $what)]
        pub struct $error(pub String);

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The spelling stored in the database and sent over the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    other => Err($error(other.to_owned())),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;
