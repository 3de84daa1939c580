//! The e-mail engine's one error type.

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("e-mail is not configured")]
    Disabled,
    #[error("e-mail configuration: {0}")]
    Config(String),
    #[error("address {address:?} is not usable: {source}")]
    Address {
        address: String,
        source: lettre::address::AddressError,
    },
    #[error("building the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl EmailError {
    /// True when trying again cannot help (the server refused the message for good, or the
    /// address or the message itself is wrong).
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Smtp(e) => e.is_permanent(),
            Self::Address { .. } | Self::Build(_) => true,
            Self::Disabled | Self::Config(_) => false,
        }
    }
}
