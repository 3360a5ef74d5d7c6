//! The words of every message: plain text and simple HTML, the product's
//! name from the settings. Anything a user typed (a device name) is escaped
//! before it goes into HTML.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

use crate::domain::mail::MailKind;

/// A message ready to send.
#[derive(Clone)]
pub struct Rendered {
    /// The subject line.
    pub subject: String,
    /// The plain text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

impl std::fmt::Debug for Rendered {
    // Bodies may hold single-use links.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// What a template may use.
pub struct Context<'a> {
    /// The product's name, from the settings.
    pub product: &'a str,
    /// The user's name, or their address when they gave none.
    pub greeting_name: &'a str,
    /// The facts queued with the message (a device name, a new address…); never a secret.
    pub detail: &'a serde_json::Value,
    /// The message's action link, when it has one.
    pub link: Option<&'a str>,
    /// Where the user reviews their account's security.
    pub security_url: &'a str,
}

/// Escapes text for HTML, so what a user typed cannot become markup.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn detail_str<'a>(context: &'a Context<'_>, key: &str) -> Option<&'a str> {
    context.detail.get(key).and_then(serde_json::Value::as_str).filter(|s| !s.is_empty())
}

fn when(unix: Option<i64>) -> String {
    unix.and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
        .and_then(|t| t.format(&Rfc2822).ok())
        .unwrap_or_else(|| "soon".into())
}

/// Paragraphs and an optional button; both bodies come from the same parts.
struct Parts {
    subject: String,
    paragraphs: Vec<String>,
    action: Option<(String, String)>,
    closing: String,
}

fn assemble(context: &Context<'_>, parts: Parts) -> Rendered {
    let mut text = format!("Hello {},\n\n", context.greeting_name);
    let mut html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif;max-width:36em\"><p>Hello {},</p>",
        escape_html(context.greeting_name)
    );
    for paragraph in &parts.paragraphs {
        text.push_str(paragraph);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape_html(paragraph)));
    }
    if let Some((label, url)) = &parts.action {
        text.push_str(&format!("{label}:\n{url}\n\n"));
        html.push_str(&format!("<p><a href=\"{}\">{}</a></p>", escape_html(url), escape_html(label)));
    }
    text.push_str(&parts.closing);
    text.push_str(&format!("\n\n-- \n{}\n", context.product));
    html.push_str(&format!(
        "<p>{}</p><p>— {}</p></body></html>",
        escape_html(&parts.closing),
        escape_html(context.product)
    ));
    Rendered { subject: parts.subject, text, html }
}

/// Writes the message of `kind`, in plain text and HTML, from the same words.
pub fn render(kind: MailKind, context: &Context<'_>) -> Rendered {
    let product = context.product;
    let link = context.link.unwrap_or(context.security_url).to_owned();
    let not_you =
        format!("If this was not you, review your account at {} and change your password.", context.security_url);
    let parts = match kind {
        MailKind::VerifyEmail => Parts {
            subject: format!("Confirm your email address for {product}"),
            paragraphs: vec![format!("Please confirm that this is your email address for {product}.")],
            action: Some(("Confirm your address (the link works for 24 hours, once)".into(), link)),
            closing: "If you did not create an account, you can ignore this message.".into(),
        },
        MailKind::PasswordReset => Parts {
            subject: format!("Reset your {product} password"),
            paragraphs: vec![format!("Someone asked to reset the password of your {product} account.")],
            action: Some(("Choose a new password (the link works for 30 minutes, once)".into(), link)),
            closing: "If it was not you, ignore this message: your password stays as it is.".into(),
        },
        MailKind::NewDevice => {
            let device = detail_str(context, "name").unwrap_or("A new device");
            Parts {
                subject: format!("A new device was activated on your {product} license"),
                paragraphs: vec![format!("{device} was just activated on your license.")],
                action: Some(("Not you? Remove this device (one click)".into(), link)),
                closing: not_you,
            }
        }
        MailKind::FactorAdded => Parts {
            subject: format!("A sign-in method was added to your {product} account"),
            paragraphs: vec![format!("A {} was added to your account.", factor_name(context))],
            action: None,
            closing: not_you,
        },
        MailKind::FactorRemoved => Parts {
            subject: format!("A sign-in method was removed from your {product} account"),
            paragraphs: vec![format!("A {} was removed from your account.", factor_name(context))],
            action: None,
            closing: not_you,
        },
        MailKind::PasswordChanged => Parts {
            subject: format!("Your {product} password was changed"),
            paragraphs: vec!["The password of your account was just changed.".into()],
            action: None,
            closing: not_you,
        },
        MailKind::RecoveryCodeUsed => {
            let left = context.detail.get("remaining").and_then(serde_json::Value::as_i64).unwrap_or(0);
            Parts {
                subject: format!("A recovery code was used on your {product} account"),
                paragraphs: vec![format!("A recovery code was used to sign in. You have {left} left.")],
                action: None,
                closing: not_you,
            }
        }
        MailKind::AppSignedOut => {
            let app = detail_str(context, "client_name").unwrap_or("An app");
            Parts {
                subject: format!("{app} was signed out of your {product} account"),
                paragraphs: vec![
                    format!(
                        "{app} was signed out of your account because one of its sign-in tokens was used twice. \
                         That happens when someone else has a copy of it."
                    ),
                    format!("If you use {app}, sign in to it again."),
                ],
                action: None,
                closing: not_you,
            }
        }
        MailKind::EmailChanged => {
            let new = detail_str(context, "new_email").unwrap_or("a new address");
            Parts {
                subject: format!("The email address of your {product} account was changed"),
                paragraphs: vec![format!("Your account's email address was changed to {new}; mail now goes there.")],
                action: None,
                closing: not_you,
            }
        }
        MailKind::AddressInUse => Parts {
            subject: format!("Someone tried to use your address for a new {product} account"),
            paragraphs: vec![
                format!("Someone tried to create a {product} account with this email address, or to move another account to it. You already have an account with this address, so nothing was changed."),
                "If it was you, sign in with your password. If you forgot it, choose \"Forgot password\" on the sign-in page.".into(),
            ],
            action: Some(("Sign in".into(), link)),
            closing: "If it was not you, you can ignore this message: your account is unchanged.".into(),
        },
        MailKind::LicenseExpiring => {
            let item = detail_str(context, "product").unwrap_or(product);
            let expires = when(context.detail.get("expires_at").and_then(serde_json::Value::as_i64));
            Parts {
                subject: format!("Your {item} license expires soon"),
                paragraphs: vec![format!("Your {item} license expires on {expires}.")],
                action: None,
                closing: "Renew it before then to keep using it without interruption.".into(),
            }
        }
    };
    assemble(context, parts)
}

fn factor_name(context: &Context<'_>) -> &'static str {
    if context.detail.get("passkey_id").is_some() { "passkey" } else { "authenticator app" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_is_escaped_in_html_only() {
        let detail = serde_json::json!({"name": "<script>alert(1)</script>"});
        let context = Context {
            product: "Studio",
            greeting_name: "Ada & co",
            detail: &detail,
            link: Some("https://login.example.com/devices/remove?a=1&b=2"),
            security_url: "https://login.example.com/account/security",
        };
        let mail = render(MailKind::NewDevice, &context);
        assert!(mail.text.contains("<script>alert(1)</script> was just activated"));
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;"));
        assert!(mail.html.contains("href=\"https://login.example.com/devices/remove?a=1&amp;b=2\""));
        assert!(mail.html.contains("Hello Ada &amp; co"));
        assert!(mail.text.contains("https://login.example.com/devices/remove?a=1&b=2"));
    }
}
