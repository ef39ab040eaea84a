//! Mail transports: lettre over SMTP (STARTTLS or implicit TLS, credentials in the URL) in
//! production, one `.eml` file per message under the data directory in development.
//! Messages are UTF-8 with RFC 2047 subjects, and their `Message-ID` comes from the outbox
//! row, so a resend after a crash is recognisable as the same message.

use crate::config::Settings;
use crate::store::models::NotificationRow;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::SinglePart;
use lettre::message::Mailbox;
use lettre::transport::smtp::PoolConfig;
use lettre::{Message, SmtpTransport, Transport};
use std::path::PathBuf;
use std::time::Duration;

/// Where messages go.
pub enum MailTransport {
    /// One `.eml` per message in this directory.
    File(PathBuf),
    /// An SMTP server.
    Smtp(Box<SmtpTransport>),
}

/// Sends outbox rows.
pub struct Mailer {
    transport: MailTransport,
    from: Mailbox,
    domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.transport {
            MailTransport::File(_) => "Mailer(file)",
            MailTransport::Smtp(_) => "Mailer(smtp)",
        })
    }
}

impl Mailer {
    /// The transport `[mail]` names: `file` (under `<data_dir>/mail`) or `smtp` by URL.
    pub fn from_settings(s: &Settings) -> Result<Mailer, String> {
        let from: Mailbox = s.mail.from.parse().map_err(|e| format!("mail.from: {e}"))?;
        let domain = from.email.domain().to_string();
        let transport = match s.mail.transport.as_str() {
            "smtp" => {
                let b = SmtpTransport::from_url(s.mail.url.trim()).map_err(|e| format!("mail.url: {e}"))?;
                // One pooled connection per sending lane, kept between batches.
                let pool = PoolConfig::new().max_size(s.scheduler.concurrency.clamp(1, 64) as u32);
                MailTransport::Smtp(Box::new(b.timeout(Some(Duration::from_secs(s.mail.timeout_seconds.max(1)))).pool_config(pool).build()))
            }
            _ => MailTransport::File(s.data_dir.join("mail")),
        };
        Ok(Mailer { transport, from, domain })
    }

    /// The Message-ID of a row: the same on every attempt.
    pub fn message_id(&self, n: &NotificationRow) -> String {
        format!("<{}@{}>", n.id, self.domain)
    }

    /// Builds the message of a row.
    pub fn build(&self, n: &NotificationRow) -> Result<Message, String> {
        let to: Mailbox = n.recipient.parse().map_err(|e| format!("адрес получателя не разобран: {e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(n.subject.clone())
            .message_id(Some(self.message_id(n)))
            // Base64 keeps Cyrillic intact through any relay, 8BITMIME or not.
            .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).header(ContentTransferEncoding::Base64).body(n.body.clone()))
            .map_err(|e| e.to_string())
    }

    /// Sends a row; returns its Message-ID. Errors carry no address, for the log's sake.
    pub fn send(&self, n: &NotificationRow) -> Result<String, String> {
        let msg = self.build(n)?;
        match &self.transport {
            MailTransport::File(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the mail directory: {e}"))?;
                // A resend writes a second file beside the first: duplicates stay visible.
                let mut path = dir.join(format!("{}.eml", n.id));
                let mut k = 1;
                while path.exists() {
                    k += 1;
                    path = dir.join(format!("{}.{k}.eml", n.id));
                }
                let tmp = dir.join(format!(".{}.tmp", n.id));
                std::fs::write(&tmp, msg.formatted()).and_then(|_| std::fs::rename(&tmp, &path)).map_err(|e| format!("cannot write the message file: {e}"))?;
            }
            MailTransport::Smtp(t) => {
                t.send(&msg).map_err(|e| {
                    let kind = if e.is_permanent() { "permanent" } else if e.is_transient() { "transient" } else { "connection" };
                    format!("SMTP ({kind}): {e}")
                })?;
            }
        }
        Ok(self.message_id(n))
    }
}
