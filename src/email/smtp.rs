//! The SMTP edge: lettre's async transport on tokio with rustls (plain, STARTTLS required, or
//! implicit TLS), one connection per message.

use super::{EmailConfig, EmailError, Letter, Mailer, TlsMode};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(cfg: &EmailConfig) -> Result<Self, EmailError> {
        let host = cfg
            .smtp_host
            .as_deref()
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .ok_or(EmailError::Disabled)?;
        let from_text = cfg.from.as_deref().ok_or(EmailError::Disabled)?;
        let from = from_text
            .parse::<Mailbox>()
            .map_err(|source| EmailError::Address {
                address: from_text.to_owned(),
                source,
            })?;
        let builder = match cfg.tls {
            TlsMode::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            TlsMode::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
        };
        let mut builder = builder
            .port(cfg.port())
            .timeout(Some(Duration::from_secs(cfg.timeout_secs)));
        if let (Some(user), Some(password)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, to: &str, letter: &Letter) -> Result<(), EmailError> {
        let to_box = to
            .parse::<Mailbox>()
            .map_err(|source| EmailError::Address {
                address: to.to_owned(),
                source,
            })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(letter.subject.clone())
            .message_id(None)
            .multipart(MultiPart::alternative_plain_html(
                letter.text.clone(),
                letter.html.clone(),
            ))?;
        self.transport.send(message).await?;
        Ok(())
    }
}
